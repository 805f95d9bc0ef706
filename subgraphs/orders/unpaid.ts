import type { Logger } from '../../kit/logger.ts';
import { ordersSettledByWorker } from '../../kit/metrics.ts';
import { cancelAndTell } from './cancellations.ts';
import { chargeStepId, transitionsOf, type OrderDoc, type OrderStore } from './store.ts';

// An order whose card was declined waits for its customer to pay again (payOrder) or for support
// (retryException). Nothing was charged and no stock is held for it, but it would wait for ever,
// and its exception with it. So each decline gives the order a time to be paid by (`payBy`, shown
// to its customer), and the orders worker cancels what is still unpaid then, as a cancelOrder
// would: the decline's exception closes, and tracking and subscribers hear the move to CANCELLED.

/** Declined orders looked at per sweep: a handful are expected, so more wait for the next sweep. */
const SWEEP_LIMIT = 200;

/** The idempotency key of the cancellation: one, whichever worker (and however many) expires the order. */
const EXPIRY_KEY = 'unpaid-after-decline';

/** How often a worker looks for expired orders: often enough to be near `payBy`, never more than once a second. */
export const unpaidSweepEveryMs = (payWithinMs: number) => Math.min(60_000, Math.max(1_000, Math.floor(payWithinMs / 4)));

export const payByAfter = (declinedAt: Date, payWithinMs: number) => new Date(declinedAt.getTime() + payWithinMs);

/**
 * Cancels declined orders past their `payBy`, unless a payment of theirs is under way (its charge
 * step waits in the queue: it then finds the order cancelled and charges nothing, so it is left to
 * run). Returns how many it cancelled.
 */
export async function cancelUnpaidOrders(store: OrderStore, payWithinMs: number, logger: Logger, now = new Date()): Promise<number> {
  let cancelled = 0;
  for (const found of await store.declined(SWEEP_LIMIT)) {
    const order = found.payBy ? found : await givePayBy(store, found, payWithinMs);
    if (!order?.payBy || order.payBy > now) continue;
    const orderId = order._id.toHexString();
    if (await store.coordination.isLive(chargeStepId(orderId, order.chargeAttempts + 1))) continue;
    // The order as it is when the cancellation is written: still declined, on the same attempt, past its time.
    const stillUnpaid = (current: OrderDoc) => current.status === 'PAYMENT_DECLINED' && current.chargeAttempts === order.chargeAttempts && !!current.payBy && current.payBy <= now;
    const reason = `not paid within ${spoken(payWithinMs)} of the card being declined`;
    try {
      if (await cancelAndTell({ orderId, reason, idempotencyKey: EXPIRY_KEY }, store, stillUnpaid)) cancelled++;
    } catch (error) {
      // Another cancellation got there first (its customer's): nothing left to do.
      logger.debug('an unpaid order was not cancelled', { orderId, error: String(error) });
    }
  }
  if (cancelled > 0) {
    ordersSettledByWorker.inc({ action: 'cancelled_unpaid' }, cancelled);
    logger.info('cancelled declined orders left unpaid', { cancelled });
  }
  return cancelled;
}

/** An order declined by a version that kept no `payBy`: its time runs from its last decline. */
async function givePayBy(store: OrderStore, order: OrderDoc, payWithinMs: number): Promise<OrderDoc | null> {
  const declinedAt = transitionsOf(order).findLast((move) => move.to === 'PAYMENT_DECLINED')?.at ?? order.placedAt;
  const payBy = payByAfter(declinedAt, payWithinMs);
  return store.change(order._id, (current) => (current.status === 'PAYMENT_DECLINED' && !current.payBy ? { payBy } : null), order);
}

/** A duration as a customer reads it: "72 hours", "30 minutes", "5 seconds". */
export function spoken(ms: number): string {
  const [amount, unit] = ms % 3_600_000 === 0 ? [ms / 3_600_000, 'hour'] : ms % 60_000 === 0 ? [ms / 60_000, 'minute'] : [Math.round(ms / 1_000), 'second'];
  return `${amount} ${unit}${amount === 1 ? '' : 's'}`;
}
