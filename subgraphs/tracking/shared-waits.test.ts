import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TransitionDoc } from './store.ts';
import { sharedStageWaits, WAITS_SHARED_FOR_MS } from './waits.ts';

// A dashboard polled by many people at once: each window's reading of the store serves every
// caller asking for it within a few seconds of its start (a week is about 400 lookups).

const move = (elementId: string, from: string | null, to: string, at: number): TransitionDoc => ({
  _id: `${elementId}:${to}`,
  elementType: 'ORDER',
  elementId,
  orderId: elementId,
  from,
  to,
  node: 'orders',
  at: new Date(at),
  detail: null,
});

function countingStore(transitions: () => TransitionDoc[], fail = () => false) {
  const windows: [Date, Date][] = [];
  return {
    windows,
    since: async (from: Date, until: Date) => {
      windows.push([from, until]);
      await new Promise((resolve) => setTimeout(resolve, 10));
      if (fail()) throw new Error('database unavailable');
      return transitions();
    },
  };
}

afterEach(() => vi.useRealTimers());

describe('stageWaits shared by its callers', () => {
  it('reads the store once for callers asking for the same window together, and again once the answer is older than its time', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 11, 6, 12), toFake: ['Date', 'setTimeout'] });
    const t0 = Date.now();
    let stays = [move('o1', null, 'PLACED', t0 - 60_000), move('o1', 'PLACED', 'CHARGING', t0 - 50_000)];
    const store = countingStore(() => stays);
    const waits = sharedStageWaits(store, 3_600_000);

    const together = Promise.all([waits(60), waits(60), waits(60)]);
    await vi.advanceTimersByTimeAsync(20);
    const answers = await together;
    expect(store.windows).toHaveLength(1);
    expect(store.windows[0]).toEqual([new Date(t0 - 3_600_000), new Date(t0 + 3_600_000)]);
    expect(answers[0]).toEqual([{ state: 'PLACED', count: 1, p50Ms: 10_000, p90Ms: 10_000, p99Ms: 10_000, maxMs: 10_000 }]);
    expect(answers[1]).toEqual(answers[0]);

    // Another window is its own reading.
    const week = waits(10_080);
    await vi.advanceTimersByTimeAsync(20);
    await week;
    expect(store.windows).toHaveLength(2);

    // A new stay shows once the shared answer has had its time.
    stays = [...stays, move('o1', 'CHARGING', 'RESERVING', t0 - 20_000)];
    await vi.advanceTimersByTimeAsync(WAITS_SHARED_FOR_MS - 100);
    expect((await waits(60)).map((w) => w.state)).toEqual(['PLACED']);
    await vi.advanceTimersByTimeAsync(200);
    const later = waits(60);
    await vi.advanceTimersByTimeAsync(20);
    expect((await later).map((w) => w.state).sort()).toEqual(['CHARGING', 'PLACED']);
    expect(store.windows).toHaveLength(3);
  });

  it('keeps no failed reading: the next caller reads again', async () => {
    let failing = true;
    const store = countingStore(() => [], () => failing);
    const waits = sharedStageWaits(store, 3_600_000);
    await expect(waits(60)).rejects.toThrow('database unavailable');
    failing = false;
    await expect(waits(60)).resolves.toEqual([]);
    expect(store.windows).toHaveLength(2);
  });
});
