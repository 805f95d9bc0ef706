import { randomBytes } from 'node:crypto';
import { ObjectId } from 'mongodb';
import { badInput, clientError, ErrorCode, notFound } from '../../kit/errors.ts';
import { parseId } from '../../kit/ids.ts';
import { clientKey, readableText } from '../../kit/storable-text.ts';
import { variablesOf, type DurableQueue, type NewMessage, type QueueItem } from '../../kit/queue.ts';
import {
  applyCancellationOperation,
  cancellationSubscribers,
  cancellationTransition,
  pulledShipment,
  stageState,
  type CancellationOutcome,
  type CancellationPayload,
} from '../../pipeline/cancellations.ts';
import { closeOfParked, exceptionClosed } from '../../pipeline/exceptions.ts';
import { operations, orderChargeId, type ShipmentPayload } from '../../pipeline/messages.ts';
import { isHandOff, nextStage, type ShipmentStage } from '../../pipeline/routes.ts';
import { track, transition, type TransitionPayload } from '../../pipeline/tracking.ts';
import { postRecordedTransitions, publishRecorded, rejectPending, rejectPendingFor } from './address-changes.ts';
import { recordedTransitions, sendOrderTransitions, toldSoFar } from './order-transitions.ts';
import { fulfilmentOf } from './progress.ts';
import { orderIdOf, WAITING_FOR_A_PERSON, type CancellationDoc, type CancellationOutcomeDoc, type CoordinationStep, type MoneyDoc, type OrderDoc, type OrderPatch, type OrderStore, type ShipmentProgressDoc } from './store.ts';

// The orders service's side of cancellations (docs/cancellations.md). A cancellation travels
// like an asynchronous address change: recorded on the order with the elements that need an
// outcome (its scope), published through this service's outbox to the stages, which pull the
// shipments they hold unless sealed for the carrier and report back. Before the order is split
// into shipments this service holds all of it and cancels it in the same compare-and-swap that
// records the request. Once every element has its outcome the order is settled: pulled
// shipments are CANCELLED, and payments is asked to refund what was charged for them.

export interface CancelRequest {
  orderId: string;
  reason: string;
  idempotencyKey: string;
}

export type CancellationStatusCode = 'PENDING' | 'CANCELLED' | 'PARTLY_CANCELLED' | 'REJECTED';

const MAX_REASON = 500;

export function cancellationStatusOf(cancellation: CancellationDoc): CancellationStatusCode {
  const results = cancellation.scope.map((id) => cancellation.outcomes.find((outcome) => outcome.elementId === id)?.result);
  if (results.some((result) => !result)) return 'PENDING';
  if (results.every((result) => result === 'APPLIED')) return 'CANCELLED';
  if (results.every((result) => result === 'REJECTED')) return 'REJECTED';
  return 'PARTLY_CANCELLED';
}

/** Cancellation ids name their order, so `cancellation(id)` is one order lookup. */
export function orderIdOfCancellation(id: string): ObjectId {
  const match = /^([0-9a-f]{24})-cancel-[0-9a-f]{12}$/.exec(id);
  if (!match) throw badInput(`${id} is not a cancellation id`, 'id');
  return new ObjectId(match[1]);
}

export const cancellationPayload = (order: OrderDoc, cancellation: CancellationDoc): CancellationPayload => ({
  cancellationId: cancellation.id,
  orderId: order._id.toHexString(),
  reason: cancellation.reason,
  requestedAt: cancellation.requestedAt.toISOString(),
});

export interface Cancelled {
  order: OrderDoc;
  cancellation: CancellationDoc;
}

/**
 * Records a cancellation and starts it on its way; answers at once. The same key again
 * answers with the same cancellation; an order has one cancellation.
 */
export async function requestCancellation(request: CancelRequest, store: OrderStore): Promise<Cancelled> {
  return (await recordCancellation(request, store))!; // asked without a condition: never null
}

/**
 * `requestCancellation`, and when the order was cancelled there and then (before its split into
 * shipments), its move to CANCELLED told to tracking at once. `onlyIf`: a condition the order must
 * meet when the cancellation is written (checked in its compare-and-swap); null when it did not.
 */
export async function cancelAndTell(request: CancelRequest, store: OrderStore, onlyIf?: (order: OrderDoc) => boolean): Promise<Cancelled | null> {
  const cancelled = await recordCancellation(request, store, onlyIf);
  if (cancelled?.cancellation.concludedAt) {
    // The cancellation's moves, which its publication step sends too, ride ahead of the order's
    // move to CANCELLED: that message, sent at once, would otherwise reach subscribers first.
    await sendOrderTransitions(store, cancelled.order, 'outbox', cancellationMoves(cancelled.order, cancelled.cancellation));
    await postRecordedTransitions(store, cancelled.order, [request.orderId]);
  }
  return cancelled;
}

async function recordCancellation(request: CancelRequest, store: OrderStore, onlyIf?: (order: OrderDoc) => boolean): Promise<Cancelled | null> {
  const reason = readableText(request.reason, 'reason', MAX_REASON);
  const key = clientKey(request.idempotencyKey, 'idempotencyKey');
  const orderId = parseId(request.orderId, 'orderId');
  const id = orderId.toHexString();
  const cancellationId = `${id}-cancel-${randomBytes(6).toString('hex')}`;

  for (let attempt = 0; attempt < 5; attempt++) {
    const order = await store.findById(orderId);
    if (!order) throw notFound(`no order with id ${id}`, { field: 'orderId' });
    const earlier = order.cancellation;
    if (earlier) {
      if (earlier.idempotencyKey === key) {
        // A retry carries what the first attempt did; another reason under the same key is another request.
        if (earlier.reason !== reason) throw clientError(ErrorCode.CONFLICT, `idempotencyKey ${key} was used for this order's cancellation (${earlier.id}) with another reason`, { field: 'idempotencyKey', cancellationId: earlier.id });
        await publishRecorded(store, id, earlier.id, enqueueCancellationPublication);
        return { order, cancellation: earlier };
      }
      throw clientError(ErrorCode.CONFLICT, `order ${id} already has a cancellation (${earlier.id}); it is ${cancellationStatusOf(earlier)}`, {
        field: 'idempotencyKey',
        cancellationId: earlier.id,
      });
    }
    if (order.status === 'CANCELLED') throw clientError(ErrorCode.CONFLICT, `order ${id} was already cancelled from exceptions`);
    if (onlyIf && !onlyIf(order)) return null;
    // Should this process die between recording and enqueuing the publication, a retry or the worker's sweep publishes it.
    await store.notePublication(cancellationId, id);
    const updated = await store.change(orderId, (current) =>
      current.cancellation || current.status === 'CANCELLED' || (onlyIf && !onlyIf(current)) ? null : recorded(current, cancellationId, reason, key),
    );
    if (!updated) continue; // cancelled or retried meanwhile: the next pass answers accordingly
    await enqueueCancellationPublication(store, id, cancellationId);
    await store.forgetPublicationNote(cancellationId);
    return { order: updated, cancellation: updated.cancellation! };
  }
  throw clientError(ErrorCode.CONFLICT, `order ${id} is changing too fast; try again`);
}

/** The order with the cancellation recorded; before the split, cancelled there and then. */
function recorded(order: OrderDoc, id: string, reason: string, key: string): OrderPatch {
  const orderId = order._id.toHexString();
  const now = new Date();
  const split = order.shipments.length > 0;
  const outcomes: CancellationOutcomeDoc[] = split
    ? order.shipments
        .filter((shipment) => shipment.status === 'SHIPPED')
        .map((shipment) => ({ elementId: shipment.shipmentId, node: 'orders', result: 'REJECTED', detail: `too late: shipment ${shipment.shipmentId} has left`, at: now }))
    : [{ elementId: orderId, node: 'orders', result: 'APPLIED', detail: `cancelled by orders while ${order.status}`, at: now }];
  const cancellation: CancellationDoc = {
    id,
    reason,
    idempotencyKey: key,
    requestedAt: now,
    scope: split ? order.shipments.map((shipment) => shipment.shipmentId) : [orderId],
    outcomes,
    concludedAt: null,
    refund: null,
    // Waiting for a person, who now need not act: the publication closes that exception. Also when
    // the order was paid again and its charge not asked for yet (CHARGING): that charge step, which
    // would have closed the decline's exception, now finds the order cancelled and does nothing.
    closesException: !split && (WAITING_FOR_A_PERSON.includes(order.status) || order.status === 'CHARGING') ? (order.openException ?? null) : null,
  };
  return { cancellation, ...settled({ ...order, cancellation }, now) };
}

/**
 * Settles an order whose cancellation has every outcome (and is not settled yet): pulled
 * shipments are CANCELLED, the order too when nothing of it is left to ship, and the refund is
 * worked out. Null when there is nothing to settle.
 */
function settled(order: OrderDoc, now: Date): OrderPatch | null {
  const cancellation = order.cancellation;
  if (!cancellation || cancellation.concludedAt || cancellationStatusOf(cancellation) === 'PENDING') return null;
  const orderId = order._id.toHexString();
  const pulled = new Set(cancellation.outcomes.filter((outcome) => outcome.result === 'APPLIED').map((outcome) => outcome.elementId));
  const shipments = order.shipments.map((shipment) => (pulled.has(shipment.shipmentId) ? { ...shipment, status: 'CANCELLED' as const, detail: `cancellation ${cancellation.id}` } : shipment));
  const wholeOrder = pulled.has(orderId);
  // A person stopped it meanwhile (from exceptions): it stays CANCELLED whatever else ships.
  const stopped = order.status === 'CANCELLED';
  const where = wholeOrder ? { status: 'CANCELLED' as const, stage: null } : pulled.size > 0 && !stopped ? fulfilmentOf(shipments) : null;
  const amount = refundable(order, wholeOrder, pulled);
  const refund = amount && order.chargeId ? { refundId: cancellation.id, chargeId: order.chargeId, amount } : null;
  const moved = where && where.status !== order.status;
  return {
    shipments,
    cancellation: { ...cancellation, concludedAt: now, refund },
    ...(moved ? { ...where, transition: { detail: `cancellation ${cancellation.id}`, causes: outcomeMoves(orderId, cancellation) } } : {}),
    ...(where?.status === 'CANCELLED' ? rejectPending(order) : rejectPendingFor(order, [...pulled])),
  };
}

/**
 * What the nodes did that the order's move on settling follows from: each element's reported moves,
 * then its outcome, as the nodes told tracking (the same ids and times). Its message tells them first.
 */
function outcomeMoves(orderId: string, cancellation: CancellationDoc): TransitionPayload[] {
  return cancellation.outcomes.flatMap((outcome) => [
    ...(outcome.movesJson ? (JSON.parse(outcome.movesJson) as TransitionPayload[]) : []),
    cancellationTransition({ cancellationId: cancellation.id, orderId }, outcome.node, outcome),
  ]);
}

/** What was charged for what will not ship: the whole order, or the lines of the pulled shipments. */
function refundable(order: OrderDoc, wholeOrder: boolean, pulled: Set<string>): MoneyDoc | null {
  if (wholeOrder) return order.total;
  // Every shipment pulled: the whole charge, whatever the lines say.
  if (pulled.size === order.shipments.length) return order.total;
  return valueOf(order, order.shipments.filter((shipment) => pulled.has(shipment.shipmentId)));
}

/** What the lines of these shipments were charged at (never more than the order's total); null for nothing. */
function valueOf(order: OrderDoc, shipments: readonly ShipmentProgressDoc[]): MoneyDoc | null {
  const priceOf = (sku: string) => order.lines.find((line) => line.sku === sku)?.unitPrice.amount ?? 0;
  const amount = shipments.flatMap((shipment) => shipment.lines ?? []).reduce((sum, line) => sum + priceOf(line.sku) * line.quantity, 0);
  return amount > 0 ? { amount: Math.min(amount, order.total.amount), currency: order.total.currency } : null;
}

/**
 * The coordinator step that tells tracking of the request and publishes it to the stages. Idempotent by
 * cancellation id. Ahead of the steps of orders placed before it: every moment it waits, a shipment may leave.
 */
export function enqueueCancellationPublication(store: OrderStore, orderId: string, cancellationId: string) {
  return store.coordination.enqueue(`cancellation:${cancellationId}`, { kind: 'cancellation', orderId, cancellationId }, { ahead: true });
}

/** A shipment's step in this service's coordination queue, routing it on from `stage` (directed routing). */
export const forwardStepId = (stage: string, shipmentId: string) => `forward:${stage}:${shipmentId}`;

/** The order's customer cancellation, if it still waits for an outcome for this shipment. */
function waitingCancellation(order: OrderDoc, shipmentId: string): CancellationDoc | null {
  const cancellation = order.cancellation;
  if (!cancellation || cancellation.concludedAt || !cancellation.scope.includes(shipmentId)) return null;
  return cancellation.outcomes.some((outcome) => outcome.elementId === shipmentId) ? null : cancellation;
}

/**
 * A shipment this service holds between two stages (directed routing: a stage handed it back and
 * its forward step waits here) is pulled here, as a stage pulls what it holds: tracking hears it
 * stopped, its centre's stock goes back, a parked step's exception closes, and orders reports the
 * outcome to itself through the outbox. Null when no cancellation waits for it.
 */
export function pulledOnItsWay(order: OrderDoc, step: Pick<QueueItem<CoordinationStep>, 'payload' | 'status' | 'outbox'>): NewMessage[] | null {
  if (step.payload.kind !== 'forward') return null;
  const { stage, shipment } = step.payload as { stage: ShipmentStage; shipment: ShipmentPayload };
  const cancellation = waitingCancellation(order, shipment.shipmentId);
  if (!cancellation) return null;
  const parked = step.status === 'FAILED' ? ', parked in exceptions' : '';
  const outcome: CancellationOutcome = { elementId: shipment.shipmentId, result: 'APPLIED', detail: `pulled at orders on its way from ${stage}${parked}` };
  // The stage that handed it back told tracking it moved on to the next stage: it is pulled from there.
  const next = nextStage[stage](shipment) ?? stage;
  return pulledShipment('orders', stageState[next], cancellationPayload(order, cancellation), shipment, step, outcome);
}

/**
 * Pulls the order's forward steps parked in exceptions: no stage holds their shipments, so none
 * would answer for them, and the cancellation would wait for a person. A step that is not parked
 * pulls itself when it runs (the coordinator's `forward`).
 */
export async function pullParkedForwardSteps(store: OrderStore, order: OrderDoc): Promise<void> {
  const cancellation = order.cancellation;
  if (!cancellation || cancellation.concludedAt) return;
  const waiting = cancellation.scope.filter((id) => waitingCancellation(order, id) && order.shipments.some((shipment) => shipment.shipmentId === id));
  const steps = await store.coordination.parkedAmong(waiting.flatMap((id) => cancellationSubscribers.map((stage) => forwardStepId(stage, id))));
  for (const step of steps) {
    // Pulled as it is when withdrawn (a person may have retried it meanwhile); null only if the cancellation no longer waits, which this read rules out.
    await store.coordination.withdraw(step._id, (live) => pulledOnItsWay(order, live) ?? []);
  }
}

/**
 * Pulls the order's shipments whose hand-off from this service a stage refused (the step that
 * sent it is done here and waits for a person): they never reached a stage, so none would answer
 * for them, and the cancellation would wait. An order stopped as a whole needs none of the refused
 * messages that would have moved it on (a charge request, a hand-off): they are given up and their
 * exceptions close. An element with any other refusal (a refund, a release of stock) waits for its
 * person, as before. Run by the cancellation's step, and again for an element refused after it
 * (`pullIfCancelled`).
 */
export async function pullRefusedHandOffs(store: OrderStore, order: OrderDoc): Promise<void> {
  if (!order.cancellation) return;
  const orderId = order._id.toHexString();
  for (const queue of handingOn(store)) {
    for (const item of await queue.refusedWhere(orderId)) await queue.resolveRefused(item._id, 'CANCEL', (current) => givenUpFor(order, current));
  }
}

/** This service's queues whose elements hand work on, and may have it refused. */
const handingOn = (store: OrderStore) => [store.coordination, store.chargeResults] as DurableQueue<unknown>[];

/**
 * Where this service's refusals are recorded (its worker's relay): a hand-off refused after its
 * order's cancellation was recorded is pulled as the refusal is recorded. The cancellation's step
 * looks for refusals after the cancellation is recorded, so one of the two sees the other.
 */
export function pullRefusedWhenRecorded(store: OrderStore): void {
  for (const queue of handingOn(store)) queue.whenRefused((item) => pullIfCancelled(store, queue, item));
}

/** A refused element of a cancelled order's, just recorded: pulled now if the cancellation is already under way. */
async function pullIfCancelled(store: OrderStore, queue: DurableQueue<unknown>, item: QueueItem<unknown>): Promise<void> {
  const orderId = orderIdOf(item.payload);
  const order = orderId && ObjectId.isValid(orderId) ? await store.findById(new ObjectId(orderId)) : null;
  if (!order?.cancellation) return;
  await queue.resolveRefused(item._id, 'CANCEL', (current) => givenUpFor(order, current));
}

/** What giving up a cancelled order's element's refused messages tells others; null to leave it for its person. */
function givenUpFor(order: OrderDoc, current: Pick<QueueItem<unknown>, 'outbox'>): NewMessage[] | null {
  const cancellation = order.cancellation!;
  const orderId = order._id.toHexString();
  const wholeOrder = cancellation.outcomes.some((outcome) => outcome.elementId === orderId && outcome.result === 'APPLIED');
  const payload = cancellationPayload(order, cancellation);
  const messages: NewMessage[] = [];
  for (const message of current.outbox.filter((candidate) => candidate.refused)) {
    const shipment = (variablesOf(message) as { shipment?: ShipmentPayload }).shipment;
    if (wholeOrder) {
      if (message.operation === operations.requestCharge || (shipment && isHandOff(message, shipment.shipmentId))) continue;
      return null;
    }
    const stage = message.target as ShipmentStage;
    if (!shipment || !cancellationSubscribers.includes(stage) || !isHandOff(message, shipment.shipmentId) || !waitingCancellation(order, shipment.shipmentId)) return null;
    const outcome: CancellationOutcome = { elementId: shipment.shipmentId, result: 'APPLIED', detail: `pulled at orders, where its hand-off to ${stage} was refused` };
    // Its close is added once below, whatever the number of shipments.
    messages.push(...pulledShipment('orders', stageState[stage], payload, shipment, { status: 'DONE', outbox: [] }, outcome));
  }
  const close = closeOfParked(current.outbox, `the order was cancelled (${cancellation.id})`);
  return [...(close ? [close] : []), ...messages];
}

/** The cancellation's own moves, as tracking records them: requested, then what this service decided itself. */
function cancellationMoves(order: OrderDoc, cancellation: CancellationDoc): TransitionPayload[] {
  const orderId = order._id.toHexString();
  const requested = transition({
    elementType: 'CANCEL',
    elementId: cancellation.id,
    orderId,
    from: null,
    to: 'CANCEL_REQUESTED',
    node: 'orders',
    at: cancellation.requestedAt,
    // Not the reason: tracking links show details, and the reason is the customer's own words.
    detail: null,
  });
  const own = cancellation.outcomes.filter((outcome) => outcome.node === 'orders').map((outcome) => cancellationTransition({ cancellationId: cancellation.id, orderId }, 'orders', outcome));
  return [requested, ...own];
}

/**
 * What the publication step sends: "cancel requested" and what this service decided itself to
 * tracking, the cancellation to every subscribed stage of an order already split, and, for an
 * order cancelled before the split, its settlement (stock back, refund), the close of the
 * exception it waited in, and the withdrawal of a charge not made yet.
 */
export function cancellationPublication(order: OrderDoc, cancellationId: string): NewMessage[] {
  const cancellation = order.cancellation;
  if (cancellation?.id !== cancellationId) return [];
  const orderId = order._id.toHexString();
  // After the order's placement: told before the order's own messages arrive (tracking was down), "cancel requested" came before "placed".
  const messages: NewMessage[] = [track(recordedTransitions(order)[0]!, ...cancellationMoves(order, cancellation))];
  if (cancellation.scope.some((id) => id !== orderId)) {
    const payload = cancellationPayload(order, cancellation);
    for (const stage of cancellationSubscribers) {
      messages.push({ id: `cancellation:${cancellationId}:${stage}`, target: stage, operation: applyCancellationOperation(stage), variables: { cancellation: payload } });
    }
  }
  if (cancellation.closesException) messages.push(exceptionClosed(cancellation.closesException, `the order was cancelled (${cancellation.id})`));
  const withdrawal = chargeWithdrawal(order, cancellation);
  if (withdrawal) messages.push(withdrawal);
  return [...messages, ...settlement(order)];
}

/**
 * For an order cancelled before its split with no charge approved (CHARGING, or after a decline):
 * the withdrawal of the charge request it sent payments last, so that one waiting there, or parked
 * in exceptions (whose retry would charge an order nobody wants), is cancelled and its exception
 * closed. One being charged finishes, and a charge that lands on a cancelled order is paid back.
 */
function chargeWithdrawal(order: OrderDoc, cancellation: CancellationDoc): NewMessage | null {
  const orderId = order._id.toHexString();
  const attempt = order.chargeAttempts ?? 0;
  if (order.chargeId || attempt < 1 || !cancellation.scope.includes(orderId)) return null;
  const requestId = orderChargeId(orderId, attempt);
  return { id: `withdraw-charge:${requestId}`, target: 'payments', operation: operations.withdrawCharge, variables: { requestId, reason: `the order was cancelled (${cancellation.id})` } };
}

/**
 * What a settled cancellation asks of others: payments refunds (idempotent by the cancellation's
 * id, so a repeat refunds once) and, for an order cancelled before its split, inventory gives
 * back whatever it reserved (the stages give back the stock of the shipments they pull).
 */
export function settlement(order: OrderDoc): NewMessage[] {
  const cancellation = order.cancellation;
  if (!cancellation?.concludedAt) return [];
  const orderId = order._id.toHexString();
  const messages: NewMessage[] = [];
  if (cancellation.scope.includes(orderId) && cancellationStatusOf(cancellation) === 'CANCELLED') {
    messages.push({ id: `release:${orderId}`, target: 'inventory', operation: operations.releaseReservation, variables: { reservationId: orderId } });
  }
  if (cancellation.refund) messages.push(refundRequest(orderId, cancellation.refund, `cancelled: ${cancellation.reason}`, cancellationTold(order, cancellation)));
  return messages;
}

/** `after`: what the refund follows, as the order told tracking of it (RefundRequestInput.after). */
export function refundRequest(orderId: string, refund: NonNullable<CancellationDoc['refund']>, reason: string, after: readonly TransitionPayload[] = []): NewMessage {
  return {
    id: `refund-request:${refund.refundId}`,
    target: 'payments',
    operation: operations.requestRefund,
    variables: { input: { refundId: refund.refundId, orderId, chargeId: refund.chargeId, amount: refund.amount, reason, ...(after.length > 0 ? { after } : {}) } },
  };
}

/**
 * A cancellation as the order told tracking of it: the order's moves before it, the cancellation's
 * request and each element's outcome (with the moves behind it), then the move it made the order
 * make, if any. Its refund follows all of it.
 */
function cancellationTold(order: OrderDoc, cancellation: CancellationDoc): TransitionPayload[] {
  const ahead = [...cancellationMoves(order, cancellation), ...outcomeMoves(order._id.toHexString(), cancellation)];
  return toldSoFar(order, ahead, (move) => move.detail === `cancellation ${cancellation.id}`);
}

/**
 * Records what a stage did to one element (each element's first outcome stands) and, once every
 * element has one, settles the order. Safe to repeat: a redelivered report finds nothing new
 * and sends the settlement again, which its receivers take once.
 */
export async function recordCancellationOutcome(
  store: OrderStore,
  orderId: string,
  cancellationId: string,
  { at, moves = [], ...outcome }: CancellationOutcome & { node: string; at?: Date; moves?: readonly TransitionPayload[] },
): Promise<void> {
  const id = parseId(orderId, 'orderId');
  const now = new Date();
  const changed = await store.change(id, (current) => {
    const cancellation = current.cancellation;
    if (cancellation?.id !== cancellationId) return null;
    if (!cancellation.scope.includes(outcome.elementId) || cancellation.outcomes.some((known) => known.elementId === outcome.elementId)) return null;
    const withOutcome: OrderDoc = {
      ...current,
      cancellation: { ...cancellation, outcomes: [...cancellation.outcomes, { ...outcome, at: at ?? now, ...(moves.length > 0 ? { movesJson: JSON.stringify(moves) } : {}) }] },
    };
    return { cancellation: withOutcome.cancellation, ...settled(withOutcome, now) };
  });
  const order = changed ?? (await store.findById(id));
  if (!order?.cancellation?.concludedAt) return;
  await sendOrderTransitions(store, order);
  // Tells tracking of address changes this settled for the pulled elements (again on a re-run: idempotent).
  await postRecordedTransitions(store, order, order.cancellation.outcomes.filter((o) => o.result === 'APPLIED').map((o) => o.elementId));
  const messages = settlement(order);
  if (messages.length > 0) await store.reports.post(`cancellation-settled:${cancellationId}`, messages);
}

/** The cancellation, if the order has one with this id. */
export function cancellationOf(order: OrderDoc | null, id: string): CancellationDoc | null {
  return order?.cancellation?.id === id ? order.cancellation : null;
}

/**
 * The order was charged after it was cancelled before its split (the charge was in flight): it
 * records the charge, and the cancellation the refund of all of it, so `refundAmount` tells the
 * customer what comes back. Null when there is nothing left to record.
 */
export function lateChargeRecorded(order: OrderDoc, chargeId: string): OrderPatch | null {
  const charge = order.chargeId ?? chargeId;
  const cancellation = order.cancellation;
  const refunds = !!cancellation && !cancellation.refund && cancellationStatusOf(cancellation) === 'CANCELLED' && cancellation.scope.includes(order._id.toHexString());
  if (order.chargeId && !refunds) return null;
  if (!refunds) return { chargeId: charge };
  return { chargeId: charge, cancellation: { ...cancellation, refund: { refundId: cancellation.id, chargeId: charge, amount: order.total } } };
}

/** The refund a late charge's cancellation recorded (the whole charge goes back), as a message to payments. */
export function refundOfLateCharge(order: OrderDoc): NewMessage | null {
  const cancellation = order.cancellation;
  if (!cancellation?.refund) return null;
  return refundRequest(order._id.toHexString(), cancellation.refund, `cancelled: ${cancellation.reason}`, cancellationTold(order, cancellation));
}

/**
 * What an order a person stopped from exceptions (not a customer's cancellation) refunds, each
 * once: stopped before its split, all of what was charged (by the order's id); after it, what the
 * lines of each shipment the person cancelled were charged at (by the shipment's id), while its
 * other shipments go out. Nothing when the order has a customer's cancellation: that cancellation
 * refunds what it pulls, and a shipment a person cancelled reads as pulled to it.
 */
export function stopRefunds(order: OrderDoc, reason: string): { reportId: string; message: NewMessage }[] {
  if (order.status !== 'CANCELLED' || order.cancellation || !order.chargeId) return [];
  const orderId = order._id.toHexString();
  const chargeId = order.chargeId;
  // Each follows the order's move to CANCELLED (and what came before it), as the order told tracking.
  const told = toldSoFar(order);
  const refund = (id: string, amount: MoneyDoc | null, why: string) =>
    amount ? [{ reportId: `stop-refund:${id}`, message: refundRequest(orderId, { refundId: `${id}-stopped`, chargeId, amount }, `stopped: ${why}`, told) }] : [];
  if (order.shipments.length === 0) return refund(orderId, order.total, reason);
  // Each says why its own shipment was stopped (an earlier stop's, when another is stopped later).
  return order.shipments.filter((shipment) => shipment.stopped).flatMap((shipment) => refund(shipment.shipmentId, valueOf(order, [shipment]), shipment.detail ?? reason));
}
