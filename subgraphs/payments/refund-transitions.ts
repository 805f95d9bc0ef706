import type { NewMessage, QueueItem } from '../../kit/queue.ts';
import { cutTo } from '../../kit/storable-text.ts';
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

/** Longest reason a failed refund's transition carries (a processor's error can be long). */
const MAX_REASON = 200;

/**
 * What a refund parked as FAILED tells tracking: it was requested, and it failed, with why. Each
 * time it is parked (a person may retry it, and it may fail again) is a transition of its own.
 */
export function parkedRefundMessages(item: QueueItem<unknown>, reason: string): NewMessage[] {
  const refund = item.payload as RefundPayload;
  return [
    track(
      refundTransition(refund, null, 'REFUND_REQUESTED', { at: item.enqueuedAt }),
      refundTransition(refund, 'REFUND_REQUESTED', 'REFUND_FAILED', { detail: cutTo(reason, MAX_REASON), key: String(item.updatedAt.getTime()) }),
    ),
  ];
}
