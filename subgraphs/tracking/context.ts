import DataLoader from 'dataloader';
import type { EventLog } from './event-log.ts';
import type { TrackingStore, TransitionDoc } from './store.ts';

export interface Context {
  store: TrackingStore;
  log: EventLog;
  historyByOrder: DataLoader<string, TransitionDoc[]>;
}

export const createContext = (store: TrackingStore, log: EventLog): Context => ({
  store,
  log,
  historyByOrder: new DataLoader(async (orderIds) => {
    const all = await store.forOrders(orderIds);
    return orderIds.map((id) => all.filter((t) => t.orderId === id));
  }),
});
