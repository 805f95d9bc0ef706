import DataLoader from 'dataloader';
import type { ShippedDoc, ShippingStore } from './store.ts';
import { groupBy } from '../../kit/group.ts';

export interface Context {
  store: ShippingStore;
  shippedByOrder: DataLoader<string, ShippedDoc[]>;
  shippedById: DataLoader<string, ShippedDoc | null>;
}

export const createContext = (store: ShippingStore): Context => ({
  store,
  shippedByOrder: new DataLoader(async (orderIds) => {
    const all = await store.forOrders(orderIds);
    const byOrder = groupBy(all, (doc) => doc.orderId);
    return orderIds.map((id) => byOrder.get(id) ?? []);
  }),
  shippedById: new DataLoader(async (ids) => {
    const byId = new Map((await store.byIds(ids)).map((doc) => [doc._id, doc]));
    return ids.map((id) => byId.get(id) ?? null);
  }),
});
