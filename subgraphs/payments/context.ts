import DataLoader from 'dataloader';
import type { CallbackPolicy } from '../../kit/callbacks.ts';
import type { PaymentProcessor } from './processor.ts';
import type { ChargeDoc, PaymentsStore, RefundItem } from './store.ts';
import { groupBy } from '../../kit/group.ts';

export interface Context {
  store: PaymentsStore;
  processor: PaymentProcessor;
  callbacks: CallbackPolicy;
  chargeByOrder: DataLoader<string, ChargeDoc | null>;
  refundsByOrder: DataLoader<string, RefundItem[]>;
}

export const contextFactory = (processor: PaymentProcessor, callbacks: CallbackPolicy) => (store: PaymentsStore): Context => ({
  store,
  processor,
  callbacks,
  chargeByOrder: new DataLoader(async (orderIds) => {
    const byOrder = new Map((await store.latestChargesForOrders(orderIds)).map((charge) => [charge.orderId, charge]));
    return orderIds.map((id) => byOrder.get(id) ?? null);
  }),
  refundsByOrder: new DataLoader(async (orderIds) => {
    const refunds = await store.refundsForOrders(orderIds);
    const byOrder = groupBy(refunds, (refund) => refund.payload.orderId);
    return orderIds.map((id) => byOrder.get(id) ?? []);
  }),
});
