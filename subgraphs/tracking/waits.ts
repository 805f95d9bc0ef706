import { clientError, ErrorCode } from '../../kit/errors.ts';
import type { TrackingStore, TransitionDoc } from './store.ts';

export interface StageWaitFigures {
  state: string;
  count: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** What a stay is made of: the fields of a transition `stageWaits` reads. */
export const STAY_FIELDS = ['elementType', 'elementId', 'to', 'at'] as const;
type Move = Pick<TransitionDoc, (typeof STAY_FIELDS)[number]>;

/**
 * How long elements stayed in each state, from transitions given in time order (a window's, an
 * hour at a time): for each element, the time from the transition into a state to its next
 * transition. What it holds is each element's latest move and the stays, not the transitions.
 */
export class StayTally {
  private readonly latest = new Map<string, { to: string; at: number }>();
  private readonly stays = new Map<string, number[]>();

  add(moves: readonly Move[]): void {
    for (const move of moves) {
      const key = `${move.elementType}:${move.elementId}`;
      const at = move.at.getTime();
      const before = this.latest.get(key);
      if (before) {
        // Appended in place: a copy per stay made a busy hour's reading quadratic (docs/benchmarks.md).
        const stays = this.stays.get(before.to);
        if (stays) stays.push(at - before.at);
        else this.stays.set(before.to, [at - before.at]);
        before.to = move.to;
        before.at = at;
      } else this.latest.set(key, { to: move.to, at });
    }
  }

  /** Percentiles per state, the longest-waiting (p90) first. Only stays that ended count: a state not left yet is no wait. */
  figures(): StageWaitFigures[] {
    return [...this.stays.entries()]
      .map(([state, values]) => {
        values.sort((a, b) => a - b);
        const at = (q: number) => values[Math.min(values.length - 1, Math.ceil(q * values.length) - 1)]!;
        return { state, count: values.length, p50Ms: at(0.5), p90Ms: at(0.9), p99Ms: at(0.99), maxMs: values[values.length - 1]! };
      })
      .sort((a, b) => b.p90Ms - a.p90Ms);
  }
}

/** `StayTally`'s figures for transitions in any order. */
export function stageWaits(transitions: readonly Move[]): StageWaitFigures[] {
  const tally = new StayTally();
  tally.add([...transitions].sort((a, b) => a.at.getTime() - b.at.getTime()));
  return tally.figures();
}

/** The stays of a window read an hour at a time. */
async function tallied(hours: AsyncIterable<readonly Move[]>): Promise<StageWaitFigures[]> {
  const tally = new StayTally();
  for await (const hour of hours) tally.add(hour);
  return tally.figures();
}

/** How long one answer of `stageWaits` serves every caller asking for the same window, from when its reading began. */
export const WAITS_SHARED_FOR_MS = 5_000;
/** Finished answers kept at once at most (a window is a number of minutes, 1 to 10,080); readings under way are never dropped. */
const WINDOWS_KEPT = 64;

/** How long a reading still under way is joined by new callers: one that hangs is not waited on for ever. */
const READING_JOINED_FOR_MS = 60_000;
/** Readings under way at once at most, in a process (a week of a busy shop is minutes of reading). */
export const READINGS_AT_ONCE = 2;
/** Readings waiting for one of those at most: a caller past them is told to ask again (RATE_LIMITED), not queued behind readings whose callers gave up. */
export const READINGS_WAITING = 4;

/** The window read for `minutes`: as asked up to an hour, in whole hours beyond, so that a week asked as 10,080 or 10,079 minutes is one reading. */
export const windowRead = (minutes: number): number => (minutes <= 60 ? minutes : Math.ceil(minutes / 60) * 60);

/** Runs tasks at most `atOnce` at a time and `waiting` more in the order they came; refuses the rest with RATE_LIMITED. */
function turns(atOnce: number, maxWaiting: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running >= atOnce) {
      if (waiting.length >= maxWaiting) {
        throw clientError(ErrorCode.RATE_LIMITED, `stageWaits: ${atOnce} windows are being read and ${maxWaiting} wait their turn; ask again shortly, or for a window being read (its callers share it)`);
      }
      await new Promise<void>((resolve) => waiting.push(resolve));
    } else running += 1;
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next(); // the slot passes to it
      else running -= 1;
    }
  };
}

interface Answer {
  figures: Promise<StageWaitFigures[]>;
  /** Under way (or waiting its turn) since then: joined by new callers for READING_JOINED_FOR_MS. */
  askedAt: number;
  /** Once done: handed to callers until then (its reading's start and WAITS_SHARED_FOR_MS). */
  until?: number;
}

/**
 * `stageWaits` over the last `minutes`, one reading of the store shared by every caller asking for
 * the same window while it is under way, and after it until WAITS_SHARED_FOR_MS from when it began:
 * a dashboard polled by many people costs one reading every few seconds, not one each (a reading
 * of a week is about 400 lookups). A slow reading (a week's window under load) is joined by the
 * callers that come while it runs rather than raced by readings of their own; its answer is then
 * as old as their wait, and not handed to anyone later. Windows beyond an hour are read in whole
 * hours (windowRead), READINGS_AT_ONCE at a time with READINGS_WAITING more waiting, and callers
 * past those are refused: what many callers asking for many long windows cost is bounded, and
 * ends when they stop.
 */
export function sharedStageWaits(store: Pick<TrackingStore, 'sinceByHour'>, aheadMs: number) {
  const answers = new Map<number, Answer>();
  const inTurn = turns(READINGS_AT_ONCE, READINGS_WAITING);
  return (asked: number): Promise<StageWaitFigures[]> => {
    const minutes = windowRead(asked);
    const now = Date.now();
    const kept = answers.get(minutes);
    if (kept && (kept.until === undefined ? now - kept.askedAt < READING_JOINED_FOR_MS : kept.until > now)) return kept.figures;
    let began = now;
    const figures = inTurn(() => {
      began = Date.now();
      return tallied(store.sinceByHour(new Date(now - minutes * 60_000), new Date(now + aheadMs), STAY_FIELDS));
    });
    const answer: Answer = { figures, askedAt: now };
    answers.delete(minutes);
    answers.set(minutes, answer);
    figures.then(
      () => (answer.until = began + WAITS_SHARED_FOR_MS),
      // A failed or refused reading is not kept: the next caller reads again.
      () => answers.get(minutes) === answer && answers.delete(minutes),
    );
    // Oldest first; those under way stay (at most READINGS_AT_ONCE + READINGS_WAITING of them).
    for (const [window, held] of answers) {
      if (answers.size <= WINDOWS_KEPT) break;
      if (held.until !== undefined) answers.delete(window);
    }
    return figures;
  };
}
