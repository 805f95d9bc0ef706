import DataLoader from 'dataloader';
import type { TrackingStore, TransitionDoc } from './store.ts';

export interface Context {
  store: TrackingStore;
  historyByOrder: DataLoader<string, TransitionDoc[]>;
}

export const createContext = (store: TrackingStore): Context => ({
  store,
  historyByOrder: new DataLoader(async (orderIds) => {
    const all = await store.forOrders(orderIds);
    return orderIds.map((id) => all.filter((t) => t.orderId === id));
  }),
});
