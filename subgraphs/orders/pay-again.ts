import { clientError, ErrorCode, notFound } from '../../kit/errors.ts';
import { usablePaymentMethod, type Directory } from './dependencies.ts';
import { chargeStepId, type CoordinationStep, type OrderDoc, type OrderStore } from './store.ts';

// A customer whose card was declined pays the order again, with another of their cards (or the
// same one, sorted out with their bank), rather than waiting for support to retry it. The next
// charge attempt is a coordination step like support's retry (the same id: chargeStepId),
// so the two never make two attempts; it carries the card, which the step writes onto the order
// with its move to CHARGING, and the decline's exception, which it closes.

export interface PayAgainRequest {
  orderId: string;
  paymentMethodId: string;
}

/** A declined order's charge attempts (all of them, its first included) past which its customer may not start another; support still may. */
export const MAX_CHARGE_ATTEMPTS = 10;

/**
 * Starts the next charge attempt of a declined order with the customer's chosen card; answers the
 * order as it then is (its card changes when the attempt starts). `byCustomer`: capped at
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

  const step: CoordinationStep = { kind: 'charge', orderId: request.orderId, paidAgain: { paymentMethod, closesException: order.openException ?? null } };
  const { item, created } = await store.coordination.enqueue(chargeStepId(request.orderId, attempts + 1), step);
  if (!created) {
    const taken = item.payload.kind === 'charge' ? item.payload.paidAgain : undefined;
    if (taken?.paymentMethod.id !== paymentMethod.id) {
      const by = taken ? `with the ${taken.paymentMethod.brand} card ending ${taken.paymentMethod.last4}` : 'by support';
      throw clientError(ErrorCode.CONFLICT, `order ${request.orderId} is being charged again already (attempt ${attempts + 1}, ${by})`, { field: 'paymentMethodId' });
    }
  }
  return (await store.findById(order._id)) ?? order;
}
