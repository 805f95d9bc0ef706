import type { NewMessage } from '../../kit/queue.ts';
import { operations, type ChargeResultPayload } from '../../pipeline/messages.ts';
import type { ChargeDoc, ChargeRequestPayload, PaymentsStore } from './store.ts';

/** What a charge request's requester is told of its charge. */
export function resultOf(request: ChargeRequestPayload, charge: ChargeDoc): ChargeResultPayload {
  return { requestId: request.requestId, orderId: request.orderId, outcome: charge.outcome, declineReason: charge.declineReason, chargeId: charge._id, amount: charge.amount };
}

/** The result published to the persistent queue the requester named (`service.queue`); one id per request, so it is taken once. */
export function replyWith(replyTo: string, result: ChargeResultPayload): NewMessage {
  const [service, queue] = replyTo.split('.') as [string, string];
  return { id: `reply:${result.requestId}`, target: service, operation: operations.receiveChargeResult, variables: { queue, result } };
}

/**
 * The result of a charge the processor made for a request given up all the same (its worker failed
 * after the charge), for the requester's queue: orders pays back a charge that lands on a
 * cancelled order. Null where nothing was charged or nobody named a queue.
 */
export function resultOfMadeCharge(request: ChargeRequestPayload, charge: ChargeDoc | null): NewMessage | null {
  return charge && request.replyTo ? replyWith(request.replyTo, resultOf(request, charge)) : null;
}

/**
 * What a charge a person gives up on (cancelled from exceptions) sends: its order, where the
 * orders service asked for it, is stopped, as the exception's cancel says, instead of waiting in
 * CHARGING for a result that never comes. A charge the processor made all the same (the worker
 * failed after it) is published too, so that orders pays it back as it does a charge that lands
 * on a cancelled order. Other requesters poll the request, which reads CANCELLED.
 */
export async function givenUpCharge(store: PaymentsStore, request: ChargeRequestPayload, reason: string): Promise<NewMessage[]> {
  if (!request.orderId || !request.replyTo?.startsWith('orders.')) return [];
  const messages: NewMessage[] = [{ id: `stop:${request.requestId}`, target: 'orders', operation: operations.stopOrder, variables: { orderId: request.orderId, reason } }];
  const result = resultOfMadeCharge(request, await store.charges.findOne({ _id: request.requestId }));
  return result ? [...messages, result] : messages;
}
