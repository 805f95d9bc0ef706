import { GraphQLError } from 'graphql';
import { ObjectId } from 'mongodb';
import { ErrorCode } from '../../kit/errors.ts';
import type { Logger } from '../../kit/logger.ts';
import { ordersSettledByWorker } from '../../kit/metrics.ts';
import { cancelAndTell } from './cancellations.ts';
import { chargeStepId, type OrderDoc, type OrderStore } from './store.ts';

// An order whose card was declined waits for its customer to pay again (payOrder) or for support
// (retryException). Nothing was charged and no stock is held for it, but it would wait for ever,
// and its exception with it. So each decline gives the order a time to be paid by (`payBy`, shown
// to its customer), and the orders worker cancels what is still unpaid then, as a cancelOrder
// would: the decline's exception closes, and tracking and subscribers hear the move to CANCELLED.
//
// Paying again and expiring race for one thing: the order's next charge attempt. Each takes it by
// storing the coordination step of that attempt (`chargeStepId`), which only one insert can do. The
// worker's sweep stores an `expire` step there, which cancels the order; a payment or a person's
// retry that finds it there is refused (CONFLICT), and a sweep that finds a payment's there leaves
// the order to it.

/** Declined orders past their `payBy` looked at per sweep, earliest first; more wait for the next. */
const SWEEP_LIMIT = 200;

/** The idempotency key of the cancellation: one, whoever runs its step and however often. */
const EXPIRY_KEY = 'unpaid-after-decline';

/** How often a worker looks for expired orders: often enough to be near `payBy`, never more than once a second. */
export const unpaidSweepEveryMs = (payWithinMs: number) => Math.min(60_000, Math.max(1_000, Math.floor(payWithinMs / 4)));

/**
 * Takes the next charge attempt of each declined order past its `payBy` with a step that cancels
 * it (see `expireUnpaid`), unless a payment took that attempt first. Returns how many it took.
 */
export async function claimUnpaidOrders(store: OrderStore, payWithinMs: number, logger: Logger, now = new Date()): Promise<number> {
  // Declined by a version that kept no `payBy`: its time runs from its last decline.
  const legacy = await Promise.all((await store.declinedWithoutPayBy(SWEEP_LIMIT)).map((order) => store.giveDeadline(order, 'PAYMENT_DECLINED', 'payBy', payWithinMs, 'last')));
  const due = [...(await store.declinedPastPayBy(now, SWEEP_LIMIT)), ...legacy.filter((order): order is OrderDoc => !!order?.payBy && order.payBy <= now)];
  let claimed = 0;
  for (const order of due) {
    const orderId = order._id.toHexString();
    const { created } = await store.coordination.enqueue(chargeStepId(orderId, order.chargeAttempts + 1), { kind: 'expire', orderId, attempts: order.chargeAttempts });
    if (created) claimed++;
  }
  if (claimed > 0) {
    ordersSettledByWorker.inc({ action: 'cancelled_unpaid' }, claimed);
    logger.info('cancelling declined orders left unpaid', { orders: claimed });
  }
  return claimed;
}

/**
 * The `expire` step: cancels the order if it is still declined on the attempt it was swept on
 * (a person may have cancelled it meanwhile, or stopped it from exceptions: then nothing to do).
 */
export async function expireUnpaid(store: OrderStore, orderId: string, attempts: number, payWithinMs: number): Promise<void> {
  const reason = `not paid within ${spoken(payWithinMs)} of the card being declined`;
  const stillDeclined = (current: OrderDoc) => current.status === 'PAYMENT_DECLINED' && current.chargeAttempts === attempts;
  try {
    await cancelAndTell({ orderId, reason, idempotencyKey: EXPIRY_KEY }, store, stillDeclined);
  } catch (error) {
    if (!(error instanceof GraphQLError && error.extensions.code === ErrorCode.CONFLICT)) throw error;
    // Cancelled by someone else first (another cancellation is CONFLICT): nothing left to do. Still
    // declined (it changed too fast to write): thrown, so the step is tried again, as no other will be.
    const now = await store.findById(new ObjectId(orderId));
    if (now && stillDeclined(now) && !now.cancellation) throw error;
  }
}

/** Whether a coordination step is the expiry of an unpaid order, which holds the attempt a payment would take. */
export const isExpiry = (payload: { kind: string }) => payload.kind === 'expire';

/** A duration as a customer reads it: "14 days", "72 hours" (up to three days, in hours), "30 minutes", "5 seconds". */
export function spoken(ms: number): string {
  const DAY = 24 * 3_600_000;
  const [amount, unit] =
    ms > 3 * DAY && ms % DAY === 0 ? [ms / DAY, 'day'] : ms % 3_600_000 === 0 ? [ms / 3_600_000, 'hour'] : ms % 60_000 === 0 ? [ms / 60_000, 'minute'] : [Math.round(ms / 1_000), 'second'];
  return `${amount} ${unit}${amount === 1 ? '' : 's'}`;
}
