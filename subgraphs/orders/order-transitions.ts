import { track, transition } from '../../pipeline/tracking.ts';
import type { OrderDoc, OrderStore } from './store.ts';

// The order's own transitions that no coordinator step records: those its shipments' progress
// makes (PICKING → REBIN → SHIPPING → PARTLY_SHIPPED → SHIPPED) and a cancellation. They go to
// tracking through this service's outbox, like every node's, so an app can wait for "the order
// shipped" (or was cancelled) without reading shipments.

/**
 * Hands every transition of the order not yet sent to the outbox, then marks them sent. The
 * order records each with the change that makes it (store.change), so one whose sending died
 * is still there, unsent, for the next call to send, whichever report or cancel makes it.
 * Idempotent: the outbox takes a message once by id and tracking a transition once by id, so
 * sending one again (two calls at once, a crash before the mark) is harmless.
 */
export async function sendOrderTransitions(store: OrderStore, order: OrderDoc): Promise<void> {
  const all = order.transitions ?? [];
  const unsent = all.filter((t) => !t.sentAt);
  if (unsent.length === 0) return;
  const orderId = order._id.toHexString();
  const recorded = all.map((t) => transition({ elementType: 'ORDER', elementId: orderId, orderId, from: t.from, to: t.to, node: 'orders', at: t.at, detail: t.detail }));
  for (const [i, t] of all.entries()) {
    if (t.sentAt) continue;
    // The relay delivers elements side by side, so two of these may reach tracking in either
    // order. Each carries the order's transitions up to its own, oldest first, and tracking
    // records each transition once: whichever arrives first records them in the order they
    // happened, and a subscriber never sees SHIPPED before PARTLY_SHIPPED.
    await store.reports.post(`order-transition:${recorded[i]!.id}`, [track(...recorded.slice(0, i + 1))]);
  }
  await store.markTransitionsSent(order, unsent);
}
