import { doorbell } from './doorbell.ts';
import type { Logger } from './logger.ts';
import { logRetry } from './unavailable.ts';

/**
 * Runs `pass` over and over until stopped: at once again when it reports more work
 * (returns true), after the milliseconds it returns when it knows when its next work is due
 * (at least `intervalMs`, at most `idleMaxMs`), otherwise after `intervalMs`. A pass that found nothing at all to do
 * (returns 'idle') makes the next wait twice as long, up to `idleMaxMs`: every pass is a
 * query, and an idle system should not keep its database busy. A failing pass is logged
 * and retried. The background loops of the workers that lease no queue (aggregation,
 * sequential receiving, archiving) are all this.
 */
export function startLoop(
  pass: () => Promise<boolean | 'idle' | number | void>,
  {
    intervalMs,
    idleMaxMs = intervalMs,
    logger,
    what,
    wakeOn = [],
  }: {
    intervalMs: number;
    idleMaxMs?: number;
    logger: Logger;
    what: string;
    /** Doorbell keys (kit/doorbell.ts) whose rings run the next pass at once: work stored for this loop, here or at its service. */
    wakeOn?: string[];
  },
) {
  let running = true;
  let waitMs = intervalMs;
  let wake: (() => void) | undefined;
  // A wake-up that comes while a pass runs must not be lost: the pass may have looked already.
  let woken = false;
  const done = (async () => {
    while (running) {
      woken = false;
      let found: boolean | 'idle' | number | void = false;
      try {
        found = await pass();
      } catch (error) {
        logRetry(logger, `${what} failed`, error);
      }
      waitMs = found === 'idle' && !woken ? Math.min(idleMaxMs, waitMs * 2) : intervalMs;
      if (found === true || woken) continue;
      // Stopped during the pass: stop() found no wait to cut short, so none may begin.
      if (!running) break;
      const nextIn = typeof found === 'number' && !Number.isNaN(found) ? Math.min(idleMaxMs, Math.max(intervalMs, found)) : waitMs;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, nextIn);
        wake = () => {
          clearTimeout(timer);
          waitMs = intervalMs;
          resolve();
        };
      });
      wake = undefined;
    }
  })();
  const wakeNow = () => {
    woken = true;
    wake?.();
  };
  const stopHearing = wakeOn.map((key) => doorbell.subscribe(key, wakeNow));
  return {
    /** Runs the next pass now instead of after the interval (new work was just made here). */
    wake: wakeNow,
    async stop() {
      running = false;
      for (const stop of stopHearing) stop();
      wake?.();
      await done;
    },
  };
}
