import DataLoader from 'dataloader';
import type { ServiceClients } from '../../pipeline/services.ts';
import type { ExceptionDoc, ExceptionStore } from './store.ts';
import { groupBy } from '../../kit/group.ts';

export interface Context {
  store: ExceptionStore;
  clients: ServiceClients;
  exceptionsByOrder: DataLoader<string, ExceptionDoc[]>;
}

export const contextFactory = (clients: ServiceClients) => (store: ExceptionStore): Context => ({
  store,
  clients,
  exceptionsByOrder: new DataLoader(async (orderIds) => {
    const all = await store.forOrders(orderIds);
    const open = (doc: ExceptionDoc) => (doc.status === 'OPEN' ? 0 : 1);
    const byOrder = groupBy(all, (doc) => doc.orderId);
    return orderIds.map((id) => (byOrder.get(id) ?? []).sort((a, b) => open(a) - open(b)));
  }),
});
