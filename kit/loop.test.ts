import { describe, expect, it } from 'vitest';
import { silentLogger } from '../test/harness.ts';
import { startLoop } from './loop.ts';

// Every pass of a background loop is a database query. An idle system should not keep its
// database busy, and new work should still be picked up at once when the process makes it.

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('startLoop', () => {
  it('polls less and less often while there is nothing to do, and at once again when woken', async () => {
    const passes: number[] = [];
    const loop = startLoop(
      async () => {
        passes.push(Date.now());
        return 'idle';
      },
      { intervalMs: 10, idleMaxMs: 200, logger: silentLogger, what: 'test pass' },
    );
    try {
      await sleep(1_000);
      // At a steady 10 ms that would be about 100 passes; backing off to 200 ms, under 15.
      expect(passes.length).toBeGreaterThan(3);
      expect(passes.length).toBeLessThan(15);
      const gaps = passes.slice(1).map((at, i) => at - passes[i]!);
      expect(gaps.at(-1)).toBeGreaterThanOrEqual(150);

      const before = passes.length;
      const wokenAt = Date.now();
      loop.wake();
      await sleep(50);
      expect(passes.length).toBeGreaterThan(before);
      expect(passes[before]! - wokenAt).toBeLessThan(50);
    } finally {
      await loop.stop();
    }
  });

  it('keeps its interval while a pass finds work that must wait (not idle), and goes again at once when there is more', async () => {
    let passes = 0;
    const loop = startLoop(
      async () => {
        passes++;
        return passes <= 5; // five passes with more to do, then waiting work
      },
      { intervalMs: 20, idleMaxMs: 1_000, logger: silentLogger, what: 'test pass' },
    );
    try {
      await sleep(500);
      // Five at once, then every 20 ms: far more than a backed-off loop would make.
      expect(passes).toBeGreaterThan(15);
    } finally {
      await loop.stop();
    }
  });
});
