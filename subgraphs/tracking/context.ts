import DataLoader from 'dataloader';
import type { EventLog } from './event-log.ts';
import type { TrackingStore, TransitionDoc } from './store.ts';

export interface Context {
  store: TrackingStore;
  log: EventLog;
  historyByOrder: DataLoader<string, History>;
}

export interface History {
  transitions: TransitionDoc[];
  /** Every event up to this one had its transition stored before the history was read. */
  completeThrough: number;
}

export const createContext = (store: TrackingStore, log: EventLog): Context => ({
  store,
  log,
  historyByOrder: new DataLoader(async (orderIds) => {
    // Read the log's position first: a transition is stored before its event is appended.
    const completeThrough = log.head;
    const all = await store.forOrders(orderIds);
    return orderIds.map((id) => ({ transitions: all.filter((t) => t.orderId === id), completeThrough }));
  }),
});
