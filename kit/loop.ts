import type { Logger } from './logger.ts';

/**
 * Runs `pass` over and over until stopped: at once again when it reports more work
 * (returns true), otherwise after `intervalMs`. A failing pass is logged and retried.
 * The background loops of the workers that lease no queue (aggregation, sequential
 * receiving, archiving) are all this.
 */
export function startLoop(pass: () => Promise<boolean | void>, { intervalMs, logger, what }: { intervalMs: number; logger: Logger; what: string }) {
  let running = true;
  let wake: (() => void) | undefined;
  // A wake-up that comes while a pass runs must not be lost: the pass may have looked already.
  let woken = false;
  const done = (async () => {
    while (running) {
      woken = false;
      let again = false;
      try {
        again = (await pass()) === true;
      } catch (error) {
        logger.error(`${what} failed; will retry`, { error: error instanceof Error ? error : String(error) });
      }
      if (again || woken) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, intervalMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  })();
  return {
    /** Runs the next pass now instead of after the interval (new work was just made here). */
    wake() {
      woken = true;
      wake?.();
    },
    async stop() {
      running = false;
      wake?.();
      await done;
    },
  };
}
