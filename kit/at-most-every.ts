/**
 * `task` behind a call that runs it at most once every `intervalMs`: the calls in between return
 * at once, as does one while a run is under way. A run that fails is tried again at the next call,
 * and its error goes to the call that started it. For upkeep a hot path would otherwise repeat on
 * every request (pruning a log by age, which is a scan of it on FerretDB).
 */
export function atMostEvery(intervalMs: number, task: () => Promise<unknown>): () => Promise<void> {
  let lastRun = Number.NEGATIVE_INFINITY;
  let running = false;
  return async () => {
    const now = Date.now();
    if (running || now - lastRun < intervalMs) return;
    running = true;
    lastRun = now;
    try {
      await task();
    } catch (error) {
      lastRun = Number.NEGATIVE_INFINITY;
      throw error;
    } finally {
      running = false;
    }
  };
}
