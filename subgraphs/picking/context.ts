import DataLoader from 'dataloader';
import type { PickingStore, PicklistDoc } from './store.ts';

export interface Context {
  store: PickingStore;
  picklistsByOrder: DataLoader<string, PicklistDoc[]>;
}

export const createContext = (store: PickingStore): Context => ({
  store,
  picklistsByOrder: new DataLoader(async (orderIds) => {
    const all = await store.forOrders(orderIds);
    return orderIds.map((id) => all.filter((picklist) => picklist.orderIds.includes(id)));
  }),
});
