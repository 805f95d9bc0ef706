/**
 * What `work` resolved to, when it did so within `ms`; `undefined` when it failed or was late.
 * The timer goes either way (a scrape every few seconds must not leave one behind each time), and
 * a late failure is not left unhandled.
 */
export async function answerWithin<T>(work: Promise<T>, ms: number): Promise<{ value: T } | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([work.then((value) => ({ value }), () => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}
