/**
 * `read` behind a call that shares it: a call while a read is under way gets that read's answer
 * rather than starting one of its own, and so does one within `keptForMs` of when the answered
 * read began. A read that fails is forgotten: the next call reads again. For figures a database
 * gives that are asked for again and again (a scrape's counts): a database that hangs then holds
 * one read, not one per ask, each of them a connection it answers all at once when it resumes.
 */
export function sharedRead<T>(read: () => Promise<T>, keptForMs = 0): () => Promise<T> {
  let last: { startedAt: number; answer: Promise<T>; settled: boolean } | undefined;
  return () => {
    if (last && (!last.settled || Date.now() - last.startedAt < keptForMs)) return last.answer;
    const current = { startedAt: Date.now(), answer: read(), settled: false };
    last = current;
    current.answer.then(
      () => {
        current.settled = true;
      },
      () => {
        current.settled = true;
        if (last === current) last = undefined;
      },
    );
    return current.answer;
  };
}
