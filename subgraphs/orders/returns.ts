import { randomBytes } from 'node:crypto';
import { ObjectId } from 'mongodb';
import { badInput, clientError, ErrorCode, notFound } from '../../kit/errors.ts';
import { parseId } from '../../kit/ids.ts';
import { clientKey, notBlank, readableText } from '../../kit/storable-text.ts';
import { asCode } from '../../pipeline/bin-location.ts';
import { track, transition } from '../../pipeline/tracking.ts';
import { refundRequest } from './cancellations.ts';
import type { OrderDoc, OrderStore, ReturnDoc } from './store.ts';

// Returns (docs/cancellations.md, "Returns"): a customer sends back units of a line that has
// shipped. The return is recorded on the order, waiting for the items; receiving stocks them
// (a receipt naming the return) and tells this service, which then asks payments to refund what
// they were charged at, with the return's id as the refund id (so once, however often told).

export interface ReturnRequest {
  orderId: string;
  sku: string;
  quantity: number;
  reason: string;
  idempotencyKey: string;
}

const MAX_REASON = 500;

/** Return ids name their order, so a receipt naming one reaches its order in one lookup. */
export function orderIdOfReturn(id: string): ObjectId {
  const match = /^([0-9a-f]{24})-return-[0-9a-f]{12}$/.exec(id);
  if (!match) throw badInput(`${id} is not a return id`, 'returnId');
  return new ObjectId(match[1]);
}

/** Units of a sku that have left with a carrier (shipments made before cancellations carry no lines: then the order's, once all shipped). */
function shippedUnits(order: OrderDoc, sku: string): number {
  const shipped = order.shipments.filter((shipment) => shipment.status === 'SHIPPED');
  if (shipped.every((shipment) => shipment.lines)) {
    return shipped.flatMap((shipment) => shipment.lines!).filter((line) => line.sku === sku).reduce((sum, line) => sum + line.quantity, 0);
  }
  return order.status === 'SHIPPED' ? (order.lines.find((line) => line.sku === sku)?.quantity ?? 0) : 0;
}

export async function requestReturn(given: ReturnRequest, store: OrderStore): Promise<ReturnDoc> {
  // A sku as lines store it, however the client wrote it (as placeOrder takes it).
  const request = { ...given, sku: notBlank(asCode(given.sku), 'sku') };
  const reason = readableText(request.reason, 'reason', MAX_REASON);
  const key = clientKey(request.idempotencyKey, 'idempotencyKey');
  if (!Number.isInteger(request.quantity) || request.quantity < 1) throw badInput('quantity must be positive', 'quantity');
  const orderId = parseId(request.orderId, 'orderId');
  const returnId = `${orderId.toHexString()}-return-${randomBytes(6).toString('hex')}`;
  let refusal: Error | null = null;
  const updated = await store.change(orderId, (order) => {
    refusal = null;
    if (order.returns?.some((candidate) => candidate.idempotencyKey === key)) return null;
    const line = order.lines.find((candidate) => candidate.sku === request.sku);
    if (!line) {
      refusal = badInput(`order ${order._id.toHexString()} has no line with sku ${request.sku}`, 'sku');
      return null;
    }
    const returnable = shippedUnits(order, request.sku) - (order.returns ?? []).filter((r) => r.sku === request.sku).reduce((sum, r) => sum + r.quantity, 0);
    if (request.quantity > returnable) {
      refusal = badInput(`only ${Math.max(0, returnable)} unit(s) of ${request.sku} have shipped and are not being returned already`, 'quantity');
      return null;
    }
    const doc: ReturnDoc = {
      id: returnId,
      sku: request.sku,
      quantity: request.quantity,
      reason,
      idempotencyKey: key,
      status: 'AWAITING_ITEM',
      amount: { amount: line.unitPrice.amount * request.quantity, currency: line.unitPrice.currency },
      requestedAt: new Date(),
      receivedAt: null,
      receiptId: null,
    };
    return { returns: [...(order.returns ?? []), doc] };
  });
  if (refusal) throw refusal;
  const order = updated ?? (await store.findById(orderId));
  if (!order) throw notFound(`no order with id ${orderId.toHexString()}`, { field: 'orderId' });
  const recorded = order.returns?.find((candidate) => candidate.idempotencyKey === key);
  if (!recorded) throw clientError(ErrorCode.CONFLICT, `order ${orderId.toHexString()} is changing too fast; try again`);
  // A key names one return: used again for another, it is refused rather than answered with the first.
  if (recorded.sku !== request.sku || recorded.quantity !== request.quantity || recorded.reason !== reason) {
    throw clientError(ErrorCode.CONFLICT, `idempotencyKey ${key} was used for a return of ${recorded.quantity} × ${recorded.sku} (${recorded.reason})`, { field: 'idempotencyKey' });
  }
  const id = order._id.toHexString();
  await store.reports.post(`return-requested:${recorded.id}`, [
    track(transition({ elementType: 'RETURN', elementId: recorded.id, orderId: id, from: null, to: 'RETURN_REQUESTED', node: 'orders', at: recorded.requestedAt, detail: `${recorded.quantity} × ${recorded.sku}` })),
  ]);
  return recorded;
}

/**
 * Receiving has stocked a return's items: the return is RECEIVED and payments is asked to refund
 * it. Idempotent: told again, it sends the same refund request, which payments takes once.
 */
export async function receiveReturn(store: OrderStore, input: { returnId: string; receiptId: string; sku: string; quantity: number }): Promise<void> {
  const orderId = orderIdOfReturn(input.returnId);
  const before = await store.findById(orderId);
  const wanted = before?.returns?.find((candidate) => candidate.id === input.returnId);
  if (!before || !wanted) throw notFound(`no return ${input.returnId}`, { field: 'returnId' });
  if (wanted.sku !== input.sku) throw badInput(`return ${input.returnId} is for ${wanted.sku}, not ${input.sku}`, 'sku');
  if (input.quantity < wanted.quantity) throw badInput(`return ${input.returnId} is for ${wanted.quantity} unit(s); ${input.quantity} came back`, 'quantity');
  const order =
    (await store.change(orderId, (current) =>
      current.returns?.some((candidate) => candidate.id === input.returnId && candidate.status === 'AWAITING_ITEM')
        ? {
            returns: current.returns.map((candidate) =>
              candidate.id === input.returnId ? { ...candidate, status: 'RECEIVED' as const, receivedAt: new Date(), receiptId: input.receiptId } : candidate,
            ),
          }
        : null,
    )) ?? (await store.findById(orderId))!;
  const received = order.returns!.find((candidate) => candidate.id === input.returnId)!;
  const id = order._id.toHexString();
  const messages = [
    track(transition({ elementType: 'RETURN', elementId: received.id, orderId: id, from: 'RETURN_REQUESTED', to: 'ITEM_RECEIVED', node: 'receiving', at: received.receivedAt ?? new Date(), detail: `receipt ${received.receiptId}` })),
  ];
  // A line that cost nothing (a free item) has nothing to refund, and payments takes no refund of nothing.
  if (order.chargeId && received.amount.amount > 0) messages.push(refundRequest(id, { refundId: received.id, chargeId: order.chargeId, amount: received.amount }, `returned ${received.quantity} × ${received.sku}`));
  await store.reports.post(`return-received:${received.id}`, messages);
}
