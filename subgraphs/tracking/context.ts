import DataLoader from 'dataloader';
import type { EventCursors } from './cursors.ts';
import type { EventLog } from './event-log.ts';
import type { TrackingStore, TransitionDoc } from './store.ts';
import type { StageWaitFigures } from './waits.ts';
import { groupBy } from '../../kit/group.ts';

export interface Context {
  store: TrackingStore;
  log: EventLog;
  cursors: EventCursors;
  historyByOrder: DataLoader<string, History>;
  /** `stageWaits` over the last `minutes`, shared by the callers of one process (waits.ts, sharedStageWaits). */
  stageWaits: (minutes: number) => Promise<StageWaitFigures[]>;
}

export interface History {
  transitions: TransitionDoc[];
  /** Every event up to this one had its transition stored before the history was read. */
  completeThrough: number;
}

export const createContext = (store: TrackingStore, log: EventLog, cursors: EventCursors, stageWaits: Context['stageWaits']): Context => ({
  store,
  log,
  cursors,
  stageWaits,
  historyByOrder: new DataLoader(async (orderIds) => {
    // Read the log's position first: a transition is stored before its event is appended.
    const completeThrough = log.head;
    const all = await store.forOrders(orderIds);
    const byOrder = groupBy(all, (t) => t.orderId);
    return orderIds.map((id) => ({ transitions: byOrder.get(id) ?? [], completeThrough }));
  }),
});
