import DataLoader from 'dataloader';
import type { CallbackPolicy } from '../../kit/callbacks.ts';
import type { PaymentProcessor } from './processor.ts';
import type { ChargeDoc, PaymentsStore } from './store.ts';

export interface Context {
  store: PaymentsStore;
  processor: PaymentProcessor;
  callbacks: CallbackPolicy;
  chargeByOrder: DataLoader<string, ChargeDoc | null>;
}

export const contextFactory = (processor: PaymentProcessor, callbacks: CallbackPolicy) => (store: PaymentsStore): Context => ({
  store,
  processor,
  callbacks,
  chargeByOrder: new DataLoader(async (orderIds) => {
    const byOrder = new Map((await store.latestChargesForOrders(orderIds)).map((charge) => [charge.orderId, charge]));
    return orderIds.map((id) => byOrder.get(id) ?? null);
  }),
});
