import { afterEach, describe, expect, it, vi } from 'vitest';
import { atMostEvery } from './at-most-every.ts';

afterEach(() => vi.useRealTimers());

describe('atMostEvery', () => {
  it('runs the task on the first call, skips the calls within the interval, and runs again after it', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 11, 6, 12), toFake: ['Date'] });
    let runs = 0;
    const prune = atMostEvery(60_000, async () => void (runs += 1));
    await prune();
    await prune();
    vi.advanceTimersByTime(59_999);
    await prune();
    expect(runs).toBe(1);
    vi.advanceTimersByTime(1);
    await prune();
    expect(runs).toBe(2);
  });

  it('tries a failed run again at the next call, and gives its error to the call that started it', async () => {
    let runs = 0;
    const prune = atMostEvery(60_000, async () => {
      runs += 1;
      if (runs === 1) throw new Error('database unavailable');
    });
    await expect(prune()).rejects.toThrow('database unavailable');
    await prune();
    await prune();
    expect(runs).toBe(2);
  });

  it('runs one at a time: a call while a run is under way returns at once', async () => {
    let release!: () => void;
    let runs = 0;
    const prune = atMostEvery(0, () => new Promise<void>((resolve) => ((runs += 1), (release = resolve))));
    const first = prune();
    await prune();
    expect(runs).toBe(1);
    release();
    await first;
  });
});
