import type { TransitionDoc } from './store.ts';

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
