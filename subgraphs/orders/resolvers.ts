import { hasScope, isStaff } from '../../kit/auth/identity.ts';
import { assertCalledBy, assertMayAccess, customerScope, identityOf, mayAccess } from '../../kit/auth/ownership.ts';
import { ObjectId } from 'mongodb';
import { badInput, clientError, ErrorCode, notFound } from '../../kit/errors.ts';
import { parseId } from '../../kit/ids.ts';
import { pageRequest } from '../../kit/paging.ts';
import type { ShipmentPayload } from '../../pipeline/messages.ts';
import { handedOverMove, type TransitionPayload } from '../../pipeline/tracking.ts';
import type { Context } from './context.ts';
import type { HandedOverInput, Resolvers } from './generated/resolvers-types.ts';
import { effectiveShippingAddress, orderIdOfChange, postRecordedTransitions, recordOutcomes, rejectPending, rejectPendingFor, requestAddressChange, settleDeparture, statusOf, reportedTime } from './address-changes.ts';
import { cancellationOf, cancellationStatusOf, forwardStepId, orderIdOfCancellation, recordCancellationOutcome, cancelAndTell, stopRefunds } from './cancellations.ts';
import { moveToCharging } from './coordinator.ts';
import { payAgain } from './pay-again.ts';
import { placeOrder } from './place-order.ts';
import { receiveReturn, requestReturn } from './returns.ts';
import { sendOrderTransitions, sendProgress } from './order-transitions.ts';
import { isExpiry } from './unpaid.ts';
import { applyProgress, isFulfilmentStatus } from './progress.ts';
import { chargeStepId, orderIdOf, transitionsOf, WAITING_FOR_A_PERSON, type OrderDoc, type OrderStatusCode, type OrderStore } from './store.ts';

/** The moves of its shipment a report (progress, a cancellation's outcome) carries at most: the one that handed it over, and its stage's own. */
const MAX_REPORTED_MOVES = 2;

/** A report's moves of one shipment, as the transitions its node recorded (the same ids). */
function reportedMoves(orderId: string, shipmentId: string, moves: readonly HandedOverInput[] | null | undefined): TransitionPayload[] {
  if ((moves?.length ?? 0) > MAX_REPORTED_MOVES) throw badInput(`a report carries at most ${MAX_REPORTED_MOVES} moves of its shipment`, 'moves');
  return (moves ?? []).flatMap((move) =>
    handedOverMove({ shipmentId, orderId, handedOver: { ...move, from: move.from ?? null, detail: move.detail ?? null, traceId: move.traceId ?? null } }),
  );
}

export const resolvers: Resolvers = {
  Query: {
    order: (_, { id }, context) => {
      parseId(id, 'id');
      return accessibleOrder(context, id);
    },
    orders: (_, { customerId, status, first, after }, context) => {
      // As ids are stored (lower case), however the caller wrote it.
      const named = customerId ? parseId(customerId, 'customerId').toHexString() : customerId;
      // A customer lists its own orders, whatever customerId it names.
      const own = customerScope(context, named);
      return context.store.list({ customerId: own, status: status ?? undefined }, pageRequest('orders', { first, after }));
    },
    cancellation: async (_, { id }, context) => {
      const order = await accessibleOrder(context, orderIdOfCancellation(id).toHexString());
      const cancellation = cancellationOf(order, id);
      return order && cancellation ? { order, cancellation } : null;
    },
    addressChange: async (_, { id }, context) => {
      const order = await accessibleOrder(context, orderIdOfChange(id).toHexString());
      const change = order?.addressChanges?.find((candidate) => candidate.id === id);
      return order && change ? { order, change } : null;
    },
  },
  Mutation: {
    placeOrder: (_, { input }, context) => {
      // As ids are stored (lower case), however the caller wrote it: a malformed one is bad input,
      // not another customer's, and a retry in other letters is the same order.
      const customerId = parseId(input.customerId, 'customerId').toHexString();
      // Customers order for themselves (with their own cards: placeOrder checks the card is the customer's).
      customerScope(context, customerId);
      return placeOrder({ ...input, customerId }, context.directory, context.store, context.logger, context.shippingCountries);
    },

    changeShippingAddress: async (_, { input }, context) => {
      parseId(input.orderId, 'orderId');
      await ownOrder(context, input.orderId);
      return requestAddressChange(input, context.store, context.stages, context.logger, context.shippingCountries);
    },

    cancelOrder: async (_, { input }, context) => {
      parseId(input.orderId, 'orderId');
      await ownOrder(context, input.orderId);
      // Cancelled before the split: the order's own move to CANCELLED goes to tracking now.
      return (await cancelAndTell(input, context.store))!; // asked without a condition: never null
    },

    payOrder: async (_, { input }, context) => {
      parseId(input.orderId, 'orderId');
      const order = await ownOrder(context, input.orderId);
      const identity = identityOf(context);
      const byCustomer = !hasScope(identity, 'support') && !hasScope(identity, 'service');
      return payAgain(input, order, context.directory, context.store, { byCustomer });
    },

    requestReturn: async (_, { input }, context) => {
      parseId(input.orderId, 'orderId');
      await ownOrder(context, input.orderId);
      return requestReturn(input, context.store);
    },

    recordReturnReceived: async (_, { input }, { store }) => {
      await receiveReturn(store, input);
      return true;
    },

    recordCancellationOutcome: async (_, { input }, { store }) => {
      const moves = reportedMoves(input.orderId, input.elementId, input.moves);
      const order = await store.findById(parseId(input.orderId, 'orderId'));
      if (!cancellationOf(order, input.cancellationId)) throw notFound(`order ${input.orderId} has no cancellation ${input.cancellationId}`);
      const at = reportedTime(input.at);
      await recordCancellationOutcome(store, input.orderId, input.cancellationId, {
        elementId: input.elementId,
        node: input.node,
        result: input.result,
        detail: input.detail ?? null,
        at,
        moves,
      });
      return true;
    },

    recordAddressChangeOutcome: async (_, { input }, { store }) => {
      const order = await store.findById(parseId(input.orderId, 'orderId'));
      if (!order?.addressChanges?.some((change) => change.id === input.changeId)) throw notFound(`order ${input.orderId} has no address change ${input.changeId}`);
      const at = reportedTime(input.at);
      await recordOutcomes(store, input.orderId, input.changeId, [
        { elementId: input.elementId, node: input.node, result: input.result, detail: input.detail ?? null, fromVersion: input.fromVersion ?? null, at },
      ], order);
      return true;
    },

    receiveChargeResult: async (_, { queue, result }, context) => {
      // What it says moves an order on, or stops it: only the service that charges may say it.
      assertCalledBy(context, ['payments'], 'deliver charge results');
      const { store } = context;
      if (queue !== 'charge-results') throw notFound(`the orders service has no reply queue named ${queue}`, { field: 'queue' });
      if (result.outcome !== 'APPROVED' && result.outcome !== 'DECLINED') throw badInput('outcome must be APPROVED or DECLINED', 'outcome');
      if (!result.orderId) throw badInput('orderId is required for order charges', 'orderId');
      await store.chargeResults.enqueue(`result:${result.requestId}`, {
        requestId: result.requestId,
        orderId: result.orderId,
        outcome: result.outcome,
        declineReason: result.declineReason ?? null,
        chargeId: result.chargeId,
        amount: result.amount,
      });
      return true;
    },

    recordProgress: async (_, { input }, { store }) => {
      if (!isFulfilmentStatus(input.status)) throw badInput(`status ${input.status} is not a fulfilment status`, 'status');
      // The shipment's moves that made it: told to tracking before the order's move, in every message that tells it.
      const causes = reportedMoves(input.orderId, input.shipmentId, input.moves);
      const id = parseId(input.orderId, 'orderId');
      let moved = false;
      const progressed = await store.change(id, (order) => {
        const patch = applyProgress(order, input.shipmentId, input.status as OrderStatusCode, input.detail ?? null, causes);
        moved = !!patch?.status && patch.status !== order.status;
        return patch;
      });
      const order = progressed ?? (await store.findById(id));
      // Nothing changed: perhaps the redelivery of a report whose first attempt died before telling
      // tracking of its move, which is told again. A change that moved nothing has nothing new to tell.
      if (order) await sendProgress(store, order, { latest: progressed === null || moved });
      if (input.status === 'SHIPPED') await settleDeparture(store, input.orderId, input.shipmentId, input.detail ?? null, progressed);
      return true;
    },

    stopOrder: async (_, { orderId, reason, shipmentId }, { store }) => {
      parseId(orderId, 'orderId');
      await cancel(store, orderId, reason, shipmentId ? [shipmentId] : []);
      return true;
    },

    stageCompleted: async (_, { stage, shipment }, { store }) => {
      await store.coordination.enqueue(forwardStepId(stage, shipment.shipmentId), { kind: 'forward', stage, shipment: shipment as ShipmentPayload });
      return true;
    },

    resolveOrdersException: async (_, { queue, elementId, action }, { store }) => {
      const target = store.queue(queue);
      if (!target) throw notFound(`the orders service has no queue named ${queue}`, { field: 'queue' });
      const item = await target.get(elementId);
      if (!item) throw notFound(`no element ${elementId} in ${queue}`, { field: 'elementId' });
      const orderId = orderIdOf(item.payload);
      const reason = `cancelled from exceptions (${queue} element ${elementId})`;
      const stop = (stopped: string[] = [], onlyIf?: (order: OrderDoc) => boolean) => cancel(store, orderId!, reason, stopped, onlyIf);
      // A shipment parked (or refused) on its way to a stage goes nowhere now: its stock goes back.
      const step = item.payload as { kind?: string; shipment?: { shipmentId: string } };
      const stoppedShipments = step.kind === 'forward' && step.shipment ? [step.shipment.shipmentId] : [];
      // Done, but a service refused what it handed on: sent again, or given up with its order. The
      // order is stopped first (stopping is idempotent): a process that dies between the two
      // leaves the hand-off refused, and the exceptions service's repeat of the cancel does both.
      if (item.outbox.some((message) => message.refused)) {
        if (action === 'CANCEL' && orderId) await stop(stoppedShipments);
        await target.resolveRefused(elementId, action);
        return true;
      }
      if (item.status === 'FAILED') {
        if (action === 'CANCEL') {
          await target.cancel(elementId);
          if (orderId) await stop(stoppedShipments);
          return true;
        }
        if (!(await target.retry(elementId))) throw clientError(ErrorCode.CONFLICT, `${elementId} in ${queue} is no longer parked`, { field: 'elementId' });
        return true;
      }
      // Not parked here: the order waits for a person (a declined card, missing stock), on this element.
      const order = orderId ? await store.findById(new ObjectId(orderId)) : null;
      const waiting = order && waitsOn(order, queue, elementId);
      if (action === 'CANCEL') {
        // Asked again as the order is written: the customer may pay again (payOrder) between the read and the write.
        const after = waiting ? await stop([], (current) => waitsOn(current, queue, elementId)) : order;
        // Carried out: now, or by this same cancel before (sent again: its answer was lost, or
        // the exceptions service's sweep). An order that went on (paid again, stock came in),
        // waits on a later attempt or was ended by another (its customer, its payBy passing) is
        // not this cancel's doing: the person is told, and the exception closes as the order did.
        if (after && !cancelledBy(after, reason)) throw goneOn(after, elementId);
        return true;
      }
      // Retried already (the same request sent again, when its answer was lost): nothing more to do.
      if (!waiting) throw clientError(ErrorCode.CONFLICT, `nothing to retry: the order is ${order?.status ?? 'unknown'} and does not wait on ${elementId}`);
      if (order.status === 'PAYMENT_DECLINED') {
        const { item, created } = await store.coordination.enqueue(chargeStepId(orderId!, order.chargeAttempts + 1), { kind: 'charge', orderId: orderId! });
        // Its payBy passed first, and the worker took the attempt to cancel it (unpaid.ts).
        if (!created && isExpiry(item.payload)) throw clientError(ErrorCode.CONFLICT, `order ${orderId} was not paid again by its payBy: it is being cancelled`);
        // The customer paid again first (payOrder stores the same attempt): that attempt is theirs, not this retry.
        const paidAgain = item.payload.kind === 'charge' ? item.payload.paidAgain : undefined;
        if (!created && paidAgain) {
          throw clientError(ErrorCode.CONFLICT, `the customer paid order ${orderId} again meanwhile, with the ${paidAgain.paymentMethod.brand} card ending ${paidAgain.paymentMethod.last4}`);
        }
        // Moved to CHARGING here, in one compare-and-swap, as payOrder does: of this retry and the
        // customer's cancel, the one written first wins, and the other is told. (Should this
        // process die first, the step enqueued above moves it.)
        await moveToCharging(store, order, order.chargeAttempts + 1);
      } else {
        await store.coordination.enqueue(`reserve:${orderId}:${order.version}`, { kind: 'reserve', orderId: orderId! });
      }
      // Cancelled (its customer, its payBy passing) since the read above: the step finds it
      // cancelled and does nothing, so the person is told, not that it was retried.
      const after = await store.findById(order._id);
      if (after?.status === 'CANCELLED') throw clientError(ErrorCode.CONFLICT, `order ${orderId} was cancelled meanwhile: this retry changes nothing`);
      return true;
    },
  },
  Order: {
    __resolveReference: (ref, context) => accessibleOrder(context, ref.id),
    trackingToken: (order, _, { tokens }) => tokens.signTracking(order._id.toHexString()),
    id: (order) => order._id.toHexString(),
    customer: (order) => ({ id: order.customerId }),
    placedAt: (order) => order.placedAt.toISOString(),
    payBy: (order) => (order.status === 'PAYMENT_DECLINED' && order.payBy ? order.payBy.toISOString() : null),
    waitForStockUntil: (order) => (order.status === 'OUT_OF_STOCK' && order.waitForStockUntil ? order.waitForStockUntil.toISOString() : null),
    updatedAt: (order) => order.updatedAt.toISOString(),
    shippingAddress: (order) => effectiveShippingAddress(order),
    shipmentProgress: (order) => order.shipments,
    addressChanges: (order) => (order.addressChanges ?? []).map((change) => ({ order, change })),
    cancellation: (order) => (order.cancellation ? { order, cancellation: order.cancellation } : null),
    returns: (order) => order.returns ?? [],
  },
  Return: {
    refundAmount: (doc) => doc.amount,
    requestedAt: (doc) => doc.requestedAt.toISOString(),
    receivedAt: (doc) => doc.receivedAt?.toISOString() ?? null,
  },
  Cancellation: {
    id: ({ cancellation }) => cancellation.id,
    order: ({ order }) => order,
    status: ({ cancellation }) => cancellationStatusOf(cancellation),
    reason: ({ cancellation }) => cancellation.reason,
    outcomes: ({ cancellation }) => cancellation.outcomes,
    requestedAt: ({ cancellation }) => cancellation.requestedAt.toISOString(),
    refundAmount: ({ cancellation }) => cancellation.refund?.amount ?? null,
  },
  CancellationOutcome: {
    at: (outcome) => outcome.at.toISOString(),
  },
  AddressChange: {
    id: ({ change }) => change.id,
    order: ({ order }) => order,
    mode: ({ change }) => change.mode,
    address: ({ change }) => change.address,
    status: ({ change }) => statusOf(change),
    outcomes: ({ change }) => change.outcomes,
    requestedAt: ({ change }) => change.requestedAt.toISOString(),
  },
  AddressChangeOutcome: {
    at: (outcome) => outcome.at.toISOString(),
  },
  OrderLine: {
    product: (line) => ({ sku: line.sku }),
    lineTotal: (line) => ({ amount: line.unitPrice.amount * line.quantity, currency: line.unitPrice.currency }),
  },
  Customer: {
    __resolveReference: (ref) => ({ id: ref.id }),
    orders: (customer, { first, after }, context) => {
      assertMayAccess(context, { customerId: customer.id }, `customer ${customer.id}'s orders`);
      return context.ordersByCustomer.load({ customerId: customer.id, page: pageRequest('orders', { first, after }) });
    },
  },
};

/**
 * Whether the order waits for a person on this element: it is PAYMENT_DECLINED or OUT_OF_STOCK
 * by the exception raised about it (`openException`). An order stored before that was recorded
 * is taken to wait on whichever element names it.
 */
function waitsOn(order: OrderDoc, queue: string, elementId: string): boolean {
  if (!WAITING_FOR_A_PERSON.includes(order.status)) return false;
  return !order.openException || (order.openException.queue === queue && order.openException.elementId === elementId);
}

/** Whether the order was cancelled by a person's cancel given `reason` (that of one exception's element). */
function cancelledBy(order: OrderDoc, reason: string): boolean {
  return order.status === 'CANCELLED' && transitionsOf(order).some((move) => move.to === 'CANCELLED' && move.detail === reason);
}

/** A person's cancel of what an order no longer waits on: refused, saying where the order is. */
function goneOn(order: OrderDoc, elementId: string) {
  const where = WAITING_FOR_A_PERSON.includes(order.status) && order.openException ? `waits on ${order.openException.elementId} now` : `is ${order.status}`;
  return clientError(ErrorCode.CONFLICT, `order ${order._id.toHexString()} no longer waits on ${elementId}: it ${where}, and this cancel changes nothing; the exception closes as what moved the order says`);
}

/**
 * The order, if the caller may see it (its customer, a tracking link for it, staff). Another's
 * order reads as no order at all, not FORBIDDEN: that would tell a customer which ids are orders,
 * and order ids are ObjectIds, so one's own order's id is a few counts from other customers'.
 */
async function accessibleOrder(context: Context, id: string) {
  const identity = identityOf(context);
  const orderId = id.toLowerCase();
  let order: OrderDoc | null = null;
  if (isStaff(identity) || identity.orderId === orderId) order = await context.orderById.load(orderId);
  else if (hasScope(identity, 'customer') && identity.customerId) order = await context.ownOrderById(identity.customerId).load(orderId);
  return order && mayAccess(identity, { customerId: order.customerId, orderId }) ? order : null;
}

/** The order a mutation acts on, if the caller may see it; NOT_FOUND otherwise, as for an id that is no order. */
async function ownOrder(context: Context, id: string) {
  const order = await accessibleOrder(context, id);
  if (!order) throw notFound(`no order with id ${id}`, { field: 'orderId' });
  return order;
}

/**
 * Stops an order that has not shipped (a person cancelled one of its elements in exceptions)
 * and gives back the stock it held: all of it before the split; after it, only that of the
 * `stopped` shipments (the one the person cancelled). The order's other shipments already with
 * a stage still go out, with their stock (this is not a customer's cancellation, which travels
 * to the stages: cancellations.ts). What will not ship is refunded: the whole charge before the
 * split, the stopped shipments' lines after it (`stopRefunds`). `onlyIf`: what the order must still
 * be when it is written (checked in the compare-and-swap); one that is not any more is left be.
 * Returns the order as it is after (null: there is none).
 */
async function cancel(store: OrderStore, orderId: string, reason: string, stopped: readonly string[] = [], onlyIf?: (order: OrderDoc) => boolean): Promise<OrderDoc | null> {
  // The shipments stopped go nowhere: they read CANCELLED (also when the order was stopped already, by another).
  const cancelled = await store.change(new ObjectId(orderId), (order) => {
    if (order.status === 'SHIPPED') return null;
    if (onlyIf && !onlyIf(order)) return null;
    const pulls = order.shipments.filter((shipment) => stopped.includes(shipment.shipmentId) && shipment.status !== 'SHIPPED' && shipment.status !== 'CANCELLED');
    const shipments = order.shipments.map((shipment) => (pulls.includes(shipment) ? { ...shipment, status: 'CANCELLED' as const, detail: reason, stopped: true as const } : shipment));
    // Address changes still waiting on what will not ship are rejected. A shipment that still goes
    // out may yet take one at the stage holding it, which says so: its outcome is that stage's.
    const unapplied = order.shipments.length === 0 ? rejectPending(order) : rejectPendingFor(order, pulls.map((shipment) => shipment.shipmentId));
    if (order.status === 'CANCELLED') return pulls.length > 0 ? { shipments, ...unapplied } : null;
    return { status: 'CANCELLED', stage: null, shipments, ...unapplied, transition: { detail: reason } };
  });
  // Tell tracking the order was cancelled and about the changes this settled (again, if a first call stopped before it did).
  const order = cancelled ?? (await store.findById(new ObjectId(orderId)));
  if (order?.status !== 'CANCELLED') return order; // a SHIPPED order keeps its reservation: its stock left with the parcels (a cancel from a stale exception)
  await sendOrderTransitions(store, order);
  await postRecordedTransitions(store, order, [orderId, ...order.shipments.map((shipment) => shipment.shipmentId)]);
  for (const { reportId, message } of stopRefunds(order, reason)) await store.reports.post(reportId, [message]);
  await concludeForCancellation(store, order, stopped);
  if (order.shipments.length === 0) {
    await store.coordination.enqueue(`release:${orderId}`, { kind: 'release', orderId });
    return order;
  }
  for (const shipment of order.shipments.filter((candidate) => stopped.includes(candidate.shipmentId))) {
    const { distributionCenter } = shipment;
    await store.coordination.enqueue(`release:${orderId}:${distributionCenter}`, { kind: 'release', orderId, distributionCenter });
  }
  return order;
}

/**
 * A customer's cancellation still waiting for the shipments a person stopped takes them as
 * pulled by orders, so it settles (and refunds them) also when no stage holds them any more
 * (one parked on its way to a stage). A stage's earlier answer stands.
 */
async function concludeForCancellation(store: OrderStore, order: OrderDoc, stopped: readonly string[]): Promise<void> {
  const cancellation = order.cancellation;
  if (!cancellation || cancellation.concludedAt) return;
  for (const shipment of order.shipments.filter((candidate) => stopped.includes(candidate.shipmentId) && candidate.status === 'CANCELLED')) {
    const outcome = { elementId: shipment.shipmentId, node: 'orders', result: 'APPLIED' as const, detail: shipment.detail ?? 'cancelled from exceptions' };
    await recordCancellationOutcome(store, order._id.toHexString(), cancellation.id, outcome);
  }
}
