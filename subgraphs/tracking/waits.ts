import type { TrackingStore, TransitionDoc } from './store.ts';

export interface StageWaitFigures {
  state: string;
  count: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

/**
 * How long elements stayed in each state: for each element, the time from the
 * transition into a state to the next transition out of it. Only stays that ended in
 * the window count; terminal states (no transition out yet) are not waits.
 */
export function stageWaits(transitions: readonly TransitionDoc[]): StageWaitFigures[] {
  const byElement = new Map<string, TransitionDoc[]>();
  for (const t of transitions) {
    const key = `${t.elementType}:${t.elementId}`;
    byElement.set(key, [...(byElement.get(key) ?? []), t]);
  }
  const durations = new Map<string, number[]>();
  for (const list of byElement.values()) {
    list.sort((a, b) => a.at.getTime() - b.at.getTime());
    for (let i = 0; i + 1 < list.length; i++) {
      const state = list[i]!.to;
      durations.set(state, [...(durations.get(state) ?? []), list[i + 1]!.at.getTime() - list[i]!.at.getTime()]);
    }
  }
  return [...durations.entries()]
    .map(([state, values]) => {
      values.sort((a, b) => a - b);
      const at = (q: number) => values[Math.min(values.length - 1, Math.ceil(q * values.length) - 1)]!;
      return { state, count: values.length, p50Ms: at(0.5), p90Ms: at(0.9), p99Ms: at(0.99), maxMs: values[values.length - 1]! };
    })
    .sort((a, b) => b.p90Ms - a.p90Ms);
}

/** How long one answer of `stageWaits` serves every caller asking for the same window. */
export const WAITS_SHARED_FOR_MS = 5_000;
/** Windows whose answers are kept at once at most (a window is a number of minutes, 1 to 10,080). */
const WINDOWS_KEPT = 64;

/**
 * `stageWaits` over the last `minutes`, one reading of the store shared by every caller asking for
 * the same window within WAITS_SHARED_FOR_MS of the reading's start (while it is under way, and
 * after): a dashboard polled by many people costs one reading every few seconds, not one each (a
 * reading of a week is about 400 lookups). A reading that takes longer than that is not shared
 * past it: the next caller starts another.
 */
export function sharedStageWaits(store: Pick<TrackingStore, 'since'>, aheadMs: number) {
  const answers = new Map<number, { until: number; figures: Promise<StageWaitFigures[]> }>();
  return (minutes: number): Promise<StageWaitFigures[]> => {
    const now = Date.now();
    const kept = answers.get(minutes);
    if (kept && kept.until > now) return kept.figures;
    const figures = store.since(new Date(now - minutes * 60_000), new Date(now + aheadMs)).then(stageWaits);
    answers.delete(minutes);
    answers.set(minutes, { until: now + WAITS_SHARED_FOR_MS, figures });
    // A failed reading is not kept: the next caller reads again.
    figures.catch(() => answers.get(minutes)?.figures === figures && answers.delete(minutes));
    for (const [window, answer] of answers) {
      if (answers.size <= WINDOWS_KEPT && answer.until > now) break;
      answers.delete(window);
    }
    return figures;
  };
}
