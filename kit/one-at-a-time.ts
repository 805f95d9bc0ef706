/**
 * Runs work for one key at a time in this process, in the order it was asked for: each runs after
 * whatever ran for its key before it, whether that succeeded or failed. Keys with nothing running
 * hold no memory. For a read-check-write that only has to hold against this process's own
 * concurrent requests (across processes, a compare-and-swap is needed: kit/versioned.ts).
 */
export function oneAtATimePerKey(): <T>(key: string, work: () => Promise<T>) => Promise<T> {
  const running = new Map<string, Promise<unknown>>();
  return (key, work) => {
    const run = (running.get(key) ?? Promise.resolve()).then(work);
    const settled = run.catch(() => {});
    running.set(key, settled);
    void settled.then(() => {
      if (running.get(key) === settled) running.delete(key);
    });
    return run;
  };
}
