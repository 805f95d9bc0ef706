import DataLoader from 'dataloader';
import type { ShippedDoc, ShippingStore } from './store.ts';

export interface Context {
  store: ShippingStore;
  shippedByOrder: DataLoader<string, ShippedDoc[]>;
}

export const createContext = (store: ShippingStore): Context => ({
  store,
  shippedByOrder: new DataLoader(async (orderIds) => {
    const all = await store.forOrders(orderIds);
    return orderIds.map((id) => all.filter((doc) => doc.orderId === id));
  }),
});
