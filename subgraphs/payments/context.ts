import DataLoader from 'dataloader';
import type { PaymentProcessor } from './processor.ts';
import type { ChargeDoc, PaymentsStore } from './store.ts';

export interface Context {
  store: PaymentsStore;
  processor: PaymentProcessor;
  chargeByOrder: DataLoader<string, ChargeDoc | null>;
}

export const contextFactory = (processor: PaymentProcessor) => (store: PaymentsStore): Context => ({
  store,
  processor,
  chargeByOrder: new DataLoader(async (orderIds) => {
    const byOrder = new Map((await store.latestChargesForOrders(orderIds)).map((charge) => [charge.orderId, charge]));
    return orderIds.map((id) => byOrder.get(id) ?? null);
  }),
});
