import { track, transition } from '../../pipeline/tracking.ts';
import type { OrderDoc, OrderStatusCode, OrderStore } from './store.ts';

// The order's own transitions that no coordinator step records: those its shipments' progress
// makes (PICKING → REBIN → SHIPPING → PARTLY_SHIPPED → SHIPPED) and a cancellation. They go to
// tracking through this service's outbox, like every node's, so an app can wait for "the order
// shipped" (or was cancelled) without reading shipments.

/** Statuses the coordinator's own steps record when it enters them. */
const recordedByCoordinator = new Set<OrderStatusCode>(['PLACED', 'CHARGING', 'RESERVING', 'PAYMENT_DECLINED', 'OUT_OF_STOCK', 'PICKING']);

/**
 * Sends the order's last transition to tracking, if it is one of these. Idempotent: the outbox
 * takes a message once by id and tracking a transition once by id, so a retried report or a
 * repeated cancel sends it again harmlessly (and a first attempt that died is made good).
 */
export async function postOrderTransition(store: OrderStore, order: OrderDoc): Promise<void> {
  const last = order.lastTransition;
  if (!last || recordedByCoordinator.has(last.to)) return;
  const orderId = order._id.toHexString();
  const recorded = transition({ elementType: 'ORDER', elementId: orderId, orderId, from: last.from, to: last.to, node: 'orders', at: last.at, detail: last.detail });
  await store.reports.post(`order-transition:${recorded.id}`, [track(recorded)]);
}
