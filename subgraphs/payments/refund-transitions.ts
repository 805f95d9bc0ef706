import { badInput } from '../../kit/errors.ts';
import type { NewMessage, QueueItem } from '../../kit/queue.ts';
import { checkedTransition, elementTypes, isElementType, isTransitionState, track, transition, type TransitionPayload, type TransitionState } from '../../pipeline/tracking.ts';
import type { PriorTransitionInput } from './generated/resolvers-types.ts';
import type { ChargeDoc, RefundPayload } from './store.ts';

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

/** Most transitions a refund may follow: an order's moves with its shipments' come to some tens. */
const MAX_PRIOR_TRANSITIONS = 500;
/**
 * Most bytes (as JSON) of what a refund follows: an order's come to some tens of KB. The refund's
 * element keeps them, and its message to tracking again: 500 of tracking's largest transitions
 * (9 MB) made it larger than a document may be, and its queue could lease nothing after it.
 */
const MAX_PRIOR_BYTES = 256 * 1024;

/**
 * What a refund follows (RefundRequestInput.after), checked as tracking checks what it records: one
 * it would refuse is refused with the request, rather than the refund's own moves with it, later.
 */
export function priorTransitions(given: readonly PriorTransitionInput[] | null | undefined, orderId: string | null): TransitionPayload[] | undefined {
  if (!given || given.length === 0) return undefined;
  if (given.length > MAX_PRIOR_TRANSITIONS) throw badInput(`a refund follows at most ${MAX_PRIOR_TRANSITIONS} transitions`, 'after');
  if (Buffer.byteLength(JSON.stringify(given), 'utf8') > MAX_PRIOR_BYTES) throw badInput(`what a refund follows may be at most ${MAX_PRIOR_BYTES / 1024} KB as JSON`, 'after');
  return given.map(({ elementType, ...fields }) => {
    if (!isElementType(elementType)) throw badInput(`transition ${fields.id} is of an element type tracking does not know (it knows ${elementTypes.join(', ')})`, 'elementType');
    // Its own order's: a refund tells no other order's history anything, nor another element's (every
    // element of an order is named after it: `<order>`, `<order>-LHR1`, `<order>:charge:1`), and a
    // transition's id is its element's, which tracking keeps once: another's would stand in for it.
    const ownElement = orderId !== null && (fields.elementId === orderId || fields.elementId.startsWith(`${orderId}-`) || fields.elementId.startsWith(`${orderId}:`));
    if (orderId === null || fields.orderId !== orderId || !ownElement) throw badInput(`transition ${fields.id} is not of the refund's order`, 'orderId');
    if (!fields.id.startsWith(`${elementType}:${fields.elementId}:`)) throw badInput(`transition ${fields.id} is not named after its element (${elementType}:${fields.elementId}:…)`, 'id');
    if (!isTransitionState(fields.to)) throw badInput(`transition ${fields.id} enters a state no node records (${fields.to})`, 'to');
    const checked = checkedTransition({ ...fields, elementType });
    return { ...checked, at: checked.at.toISOString() };
  });
}

/** A charge's outcome, as payments tells tracking of it: as of when the processor recorded it, the same however often told. */
export function chargeTransition(orderId: string | null, charge: ChargeDoc): TransitionPayload {
  return transition({ elementType: 'CHARGE', elementId: charge._id, orderId, from: 'QUEUED', to: charge.outcome, node: 'payments', detail: charge.declineReason, at: charge.chargedAt });
}

/**
 * A refund's moves to tell tracking, after what the refund follows and the charge it pays back:
 * that charge's outcome (told again, as orders' moves are) just before the order's move it
 * made (`charge <id>`), so that whichever of payments' messages comes first, nobody following
 * the order sees it refunded before it was charged.
 */
export function trackRefund(refund: RefundPayload, ...moves: TransitionPayload[]): NewMessage {
  const after = refund.after ?? [];
  const charged = refund.charged;
  if (!charged || after.some((t) => t.id === charged.id)) return track(...after, ...moves);
  const made = after.findIndex((t) => t.elementType === 'ORDER' && t.detail === `charge ${refund.chargeId}`);
  const at = made === -1 ? after.length : made;
  return track(...after.slice(0, at), charged, ...after.slice(at), ...moves);
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
    trackRefund(
      refund,
      refundTransition(refund, null, 'REFUND_REQUESTED', { at: item.enqueuedAt }),
      refundTransition(refund, 'REFUND_REQUESTED', 'REFUND_FAILED', { detail: `refund of charge ${refund.chargeId} failed; it waits for a person`, key: String(item.updatedAt.getTime()) }),
    ),
  ];
}
