import type { NewMessage, QueueItem } from '../../kit/queue.ts';
import { track, transition, type TransitionPayload, type TransitionState } from '../../pipeline/tracking.ts';
import type { RefundPayload } from './store.ts';

// A refund's transitions, as tracking shows them in the order's history: REFUND_REQUESTED, then
// REFUNDED, or REFUND_FAILED when it keeps failing and waits in exceptions for a person.

/**
 * One transition of `refund`; `detail` defaults to the charge it pays back. Not its amount: the
 * warehouse reads transitions' details and none of an order's money, and not its reason, which
 * can be the customer's own words (a cancellation's). Who may read the amount finds it in `Order.refunds`.
 */
export function refundTransition(refund: RefundPayload, from: TransitionState | null, to: TransitionState, options: { at?: Date; detail?: string; key?: string } = {}): TransitionPayload {
  return transition({
    elementType: 'REFUND',
    elementId: refund.refundId,
    orderId: refund.orderId,
    from,
    to,
    node: 'payments',
    at: options.at,
    detail: options.detail ?? `refund of charge ${refund.chargeId}`,
    key: options.key,
  });
}

/**
 * What a refund parked as FAILED tells tracking: it was requested, and it failed. Each time it is
 * parked (a person may retry it, and it may fail again) is a transition of its own. Not why: that
 * is the failing step's own text (a processor's error, a database's address), which the order's
 * customer and the warehouse read in the history; staff find it on the exception and in
 * `Refund.lastError`.
 */
export function parkedRefundMessages(item: QueueItem<unknown>): NewMessage[] {
  const refund = item.payload as RefundPayload;
  return [
    track(
      refundTransition(refund, null, 'REFUND_REQUESTED', { at: item.enqueuedAt }),
      refundTransition(refund, 'REFUND_REQUESTED', 'REFUND_FAILED', { detail: `refund of charge ${refund.chargeId} failed; it waits for a person`, key: String(item.updatedAt.getTime()) }),
    ),
  ];
}
