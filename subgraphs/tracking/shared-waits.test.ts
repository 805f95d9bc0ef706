import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TransitionDoc } from './store.ts';
import { sharedStageWaits, stageWaits, WAITS_SHARED_FOR_MS } from './waits.ts';

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

/** A store whose reading of a window takes `readMs`, in two halves of its transitions (as hours). */
function countingStore(transitions: () => TransitionDoc[], fail = () => false, readMs = 10) {
  const windows: [Date, Date][] = [];
  return {
    windows,
    async *sinceByHour(from: Date, until: Date) {
      windows.push([from, until]);
      const all = [...transitions()].sort((a, b) => a.at.getTime() - b.at.getTime());
      await new Promise((resolve) => setTimeout(resolve, readMs / 2));
      yield all.slice(0, all.length >> 1);
      await new Promise((resolve) => setTimeout(resolve, readMs / 2));
      if (fail()) throw new Error('database unavailable');
      yield all.slice(all.length >> 1);
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

  it('has callers that come while a slow reading runs join it, and hands its answer to no one after 5 s from its start', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 11, 6, 12), toFake: ['Date', 'setTimeout'] });
    const t0 = Date.now();
    const store = countingStore(() => [move('o1', null, 'PLACED', t0 - 60_000), move('o1', 'PLACED', 'CHARGING', t0 - 50_000)], () => false, 3 * WAITS_SHARED_FOR_MS);
    const waits = sharedStageWaits(store, 3_600_000);

    const first = waits(10_080);
    await vi.advanceTimersByTimeAsync(2 * WAITS_SHARED_FOR_MS);
    const joined = waits(10_080); // 10 s into a 15 s reading: the same one
    await vi.advanceTimersByTimeAsync(3 * WAITS_SHARED_FOR_MS);
    expect(await joined).toBe(await first);
    expect(store.windows).toHaveLength(1);

    // Done, and older than 5 s from its start: the next caller reads again.
    const later = waits(10_080);
    await vi.advanceTimersByTimeAsync(3 * WAITS_SHARED_FOR_MS);
    expect(await later).toEqual(await first);
    expect(await later).not.toBe(await first);
    expect(store.windows).toHaveLength(2);
  });

  it('reads windows beyond an hour in whole hours, and at most two at a time, the others in turn', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 11, 6, 12), toFake: ['Date', 'setTimeout'] });
    const t0 = Date.now();
    const store = countingStore(() => [], () => false, 1_000);
    const waits = sharedStageWaits(store, 0);
    const asked = [waits(10_080), waits(10_079), waits(61), waits(30)];
    await vi.advanceTimersByTimeAsync(10);
    // A week asked two ways is one reading; 61 minutes is read as two hours; 30 waits its turn.
    expect(store.windows).toEqual([
      [new Date(t0 - 10_080 * 60_000), new Date(t0)],
      [new Date(t0 - 120 * 60_000), new Date(t0)],
    ]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(store.windows).toHaveLength(3);
    expect(store.windows[2]).toEqual([new Date(t0 - 30 * 60_000), new Date(t0)]);
    await vi.advanceTimersByTimeAsync(1_000);
    await Promise.all(asked);
    expect(await asked[0]).toBe(await asked[1]);
  });

  it('refuses a reading past two under way and four waiting (RATE_LIMITED), keeps nothing of it, and shares a reading that waited from when it began', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 11, 6, 12), toFake: ['Date', 'setTimeout'] });
    const store = countingStore(() => [], () => false, 2_000);
    const waits = sharedStageWaits(store, 0);
    const accepted = [1, 2, 3, 4, 5, 6].map((minutes) => waits(minutes));
    await expect(waits(7)).rejects.toMatchObject({ extensions: { code: 'RATE_LIMITED' } });
    // A window under way is still joined.
    expect(waits(6)).toBe(accepted[5]);
    await vi.advanceTimersByTimeAsync(6_000);
    await Promise.all(accepted);
    expect(store.windows).toHaveLength(6);
    // The last two waited 4 s for their turn and were read from 4 to 6 s: shared until 9 s (5 s
    // after their reading began), so still at 6 s, where one timed from its call (0 s) would not be.
    expect(waits(6)).toBe(accepted[5]);
    // The refused window is read when asked again.
    const again = waits(7);
    await vi.advanceTimersByTimeAsync(2_000);
    await expect(again).resolves.toEqual([]);
    expect(store.windows).toHaveLength(7);
  });

  it("adds up stays from transitions in any order, each element's in its own time order", () => {
    const t0 = Date.UTC(2026, 11, 6, 12);
    const shuffled = [
      move('o2', 'PLACED', 'CHARGING', t0 + 4_000),
      move('o1', 'CHARGING', 'RESERVING', t0 + 3_000),
      move('o1', null, 'PLACED', t0),
      move('o2', null, 'PLACED', t0 + 1_000),
      move('o1', 'PLACED', 'CHARGING', t0 + 2_000),
    ];
    expect(stageWaits(shuffled)).toEqual([
      { state: 'PLACED', count: 2, p50Ms: 2_000, p90Ms: 3_000, p99Ms: 3_000, maxMs: 3_000 },
      { state: 'CHARGING', count: 1, p50Ms: 1_000, p90Ms: 1_000, p99Ms: 1_000, maxMs: 1_000 },
    ]);
  });

  it('keeps no failed reading, even one that failed part-way: the next caller reads again', async () => {
    let failing = true;
    const store = countingStore(() => [], () => failing);
    const waits = sharedStageWaits(store, 3_600_000);
    await expect(waits(60)).rejects.toThrow('database unavailable');
    failing = false;
    await expect(waits(60)).resolves.toEqual([]);
    expect(store.windows).toHaveLength(2);
  });
});
