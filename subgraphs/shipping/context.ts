import DataLoader from 'dataloader';
import type { ShippedDoc, ShippingStore } from './store.ts';

export interface Context {
  store: ShippingStore;
  shippedByOrder: DataLoader<string, ShippedDoc[]>;
  shippedById: DataLoader<string, ShippedDoc | null>;
}

export const createContext = (store: ShippingStore): Context => ({
  store,
  shippedByOrder: new DataLoader(async (orderIds) => {
    const all = await store.forOrders(orderIds);
    return orderIds.map((id) => all.filter((doc) => doc.orderId === id));
  }),
  shippedById: new DataLoader(async (ids) => {
    const byId = new Map((await store.byIds(ids)).map((doc) => [doc._id, doc]));
    return ids.map((id) => byId.get(id) ?? null);
  }),
});
