import { clientError, ErrorCode, notFound } from '../../kit/errors.ts';
import { usablePaymentMethod, type Directory } from './dependencies.ts';
import { moveToCharging } from './coordinator.ts';
import { isExpiry } from './unpaid.ts';
import { chargeStepId, type CoordinationStep, type OrderDoc, type OrderStore, type PaidAgain } from './store.ts';

// A customer whose card was declined pays the order again, with another of their cards (or the
// same one, sorted out with their bank), rather than waiting for support to retry it. The next
// charge attempt is a coordination step like support's retry (the same id: chargeStepId),
// so the two never make two attempts; it carries the card, written onto the order with the move
// to CHARGING (here, once the step is stored, or by the step), and the decline's exception, which
// it closes.

export interface PayAgainRequest {
  orderId: string;
  paymentMethodId: string;
}

/** A declined order's charge attempts (all of them, its first included) past which its customer may not start another; support still may. */
export const MAX_CHARGE_ATTEMPTS = 10;

/**
 * Starts the next charge attempt of a declined order with the customer's chosen card; answers the
 * order as it then is: CHARGING, with that card. `byCustomer`: capped at
 * MAX_CHARGE_ATTEMPTS, where support is not.
 */
export async function payAgain(request: PayAgainRequest, order: OrderDoc, directory: Directory, store: OrderStore, { byCustomer }: { byCustomer: boolean }): Promise<OrderDoc> {
  const attempts = order.chargeAttempts ?? 0;
  if (order.status !== 'PAYMENT_DECLINED') {
    // The same request again (its answer lost), once its attempt has started: answered as it is.
    if (attempts > 1 && order.paymentMethod.id === request.paymentMethodId && order.status !== 'CANCELLED') return order;
    throw clientError(ErrorCode.CONFLICT, `order ${request.orderId} is ${order.status}: only an order whose card was declined (PAYMENT_DECLINED) can be paid again`, { field: 'orderId' });
  }
  if (byCustomer && attempts >= MAX_CHARGE_ATTEMPTS) {
    throw clientError(ErrorCode.CONFLICT, `order ${request.orderId} has been declined ${attempts} times; support can take another card for it, or cancel it`, { field: 'orderId' });
  }
  const customer = await directory.customer(order.customerId);
  if (!customer) throw notFound(`no customer with id ${order.customerId}`, { field: 'orderId' });
  const paymentMethod = usablePaymentMethod(customer, request.paymentMethodId);

  const paidAgain: PaidAgain = { paymentMethod, closesException: order.openException ?? null };
  const step: CoordinationStep = { kind: 'charge', orderId: request.orderId, paidAgain };
  const attempt = attempts + 1;
  const { item, created } = await store.coordination.enqueue(chargeStepId(request.orderId, attempt), step);
  if (!created) {
    if (isExpiry(item.payload)) throw clientError(ErrorCode.CONFLICT, `order ${request.orderId} was not paid again by ${order.payBy?.toISOString() ?? 'its payBy'}: it is being cancelled`, { field: 'orderId' });
    const taken = item.payload.kind === 'charge' ? item.payload.paidAgain : undefined;
    if (taken?.paymentMethod.id !== paymentMethod.id) {
      const by = taken ? `with the ${taken.paymentMethod.brand} card ending ${taken.paymentMethod.last4}` : 'by support';
      throw clientError(ErrorCode.CONFLICT, `order ${request.orderId} is being charged again already (attempt ${attempt}, ${by})`, { field: 'paymentMethodId' });
    }
  }
  // The step is stored, so the move is its (a crash now leaves it to the step): made here, the
  // answer says CHARGING with the card just given. Null when the step or a cancellation got there first.
  const now = (await moveToCharging(store, order, attempt, paidAgain)) ?? (await store.findById(order._id)) ?? order;
  // Cancelled meanwhile (by its customer, support, or unpaid at its payBy): the step will charge nothing.
  if (now.status === 'CANCELLED') throw clientError(ErrorCode.CONFLICT, `order ${request.orderId} was cancelled before it could be paid again`, { field: 'orderId' });
  return now;
}
