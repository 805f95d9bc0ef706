import DataLoader from 'dataloader';
import { groupBy } from '../../kit/group.ts';
import type { PickingStore, PicklistDoc } from './store.ts';

export interface Context {
  store: PickingStore;
  picklistsByOrder: DataLoader<string, PicklistDoc[]>;
}

export const createContext = (store: PickingStore): Context => ({
  store,
  picklistsByOrder: new DataLoader(async (orderIds) => {
    // A picklist holds many orders: filed under each, in the order found.
    const byOrder = groupBy(
      (await store.forOrders(orderIds)).flatMap((picklist) => [...new Set(picklist.orderIds)].map((orderId) => ({ orderId, picklist }))),
      (entry) => entry.orderId,
    );
    return orderIds.map((id) => (byOrder.get(id) ?? []).map((entry) => entry.picklist));
  }),
});
