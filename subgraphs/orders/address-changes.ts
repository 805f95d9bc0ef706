import { createHash, randomBytes } from 'node:crypto';
import { ObjectId } from 'mongodb';
import { badInput, clientError, ErrorCode, notFound } from '../../kit/errors.ts';
import { RejectedByService, type GraphQLClient } from '../../kit/graphql-client.ts';
import { parseId } from '../../kit/ids.ts';
import { sentTime } from '../../kit/iso-time.ts';
import type { Logger } from '../../kit/logger.ts';
import type { NewMessage } from '../../kit/queue.ts';
import {
  addressChangeSubscribers,
  applyAddressChangeField,
  applyAddressChangeOperation,
  changeTransition,
  type AddressChangePayload,
  type ChangeOutcome,
} from '../../pipeline/address-changes.ts';
import { checkedPostalAddress, MAX_ADDRESS_LINE, refuseUnserved, type ShippingCountries } from '../../pipeline/postal-address.ts';
import { track, transition, type TransitionPayload } from '../../pipeline/tracking.ts';
import type { AddressChangeDoc, AddressChangeModeCode, AddressChangeOutcomeDoc, OrderDoc, OrderStore, ShippingAddressDoc } from './store.ts';
import { enqueueCancellationPublication } from './cancellations.ts';
import { checkedLine, clientKey } from '../../kit/storable-text.ts';

// The orders service's side of address changes in flight (docs/in-flight-changes.md). The
// order document holds each change with the elements that need an outcome (its scope) and
// the outcomes so far; every change to it is one compare-and-swap of the order, so a change
// and the coordinator splitting the order into shipments are settled in one order.

export interface ChangeRequest {
  orderId: string;
  address: Omit<ShippingAddressDoc, never>;
  mode?: AddressChangeModeCode | null;
  idempotencyKey?: string | null;
}

/** The stages a synchronous change calls, by name. */
export type StageClients = (stage: string) => GraphQLClient | undefined;

/** From the first shipment on, stages hold the order; before that only this service does. */
const isSplit = (order: Pick<OrderDoc, 'shipments'>) => order.shipments.length > 0;

/**
 * Whether a synchronous change asks the stages first: only for an order they hold part of. Once
 * every shipment has left (or was pulled), this service answers for all of them itself.
 */
const asksStages = (order: Pick<OrderDoc, 'shipments'>, mode: AddressChangeModeCode) =>
  mode === 'SYNCHRONOUS' && order.shipments.some((shipment) => shipment.status !== 'SHIPPED' && shipment.status !== 'CANCELLED');

export function statusOf(change: AddressChangeDoc): 'PENDING' | 'APPLIED' | 'REJECTED' | 'PARTLY_APPLIED' {
  const results = change.scope.map((id) => change.outcomes.find((outcome) => outcome.elementId === id)?.result);
  if (results.some((result) => !result)) return 'PENDING';
  if (results.every((result) => result === 'APPLIED')) return 'APPLIED';
  if (results.every((result) => result === 'REJECTED')) return 'REJECTED';
  return 'PARTLY_APPLIED';
}

/**
 * The order's shipping address as its customer should read it: the latest change's, unless every
 * element it was for rejected it (each had left), which changed nothing: then the address before
 * it, and so on back. The stored one is where shipments made from now on go, recorded when the
 * change was asked for. Changes recorded before they kept their previous address stay as stored.
 */
export function effectiveShippingAddress(order: OrderDoc): ShippingAddressDoc {
  let address = order.shippingAddress;
  for (const change of [...(order.addressChanges ?? [])].reverse()) {
    if (!change.previousAddress || statusOf(change) !== 'REJECTED') break;
    // Not this change's address (the order had shipped when it was asked for, and kept its own):
    // nothing to undo here, but an earlier rejected change may still be what is stored.
    if (sameAddress(address, change.address)) address = change.previousAddress;
  }
  return address;
}

export function payloadOf(orderId: string, change: AddressChangeDoc): AddressChangePayload {
  return { changeId: change.id, orderId, version: change.version, address: change.address, requestedAt: change.requestedAt.toISOString() };
}

/** Change ids name their order, so `addressChange(id)` is one order lookup. */
export function orderIdOfChange(changeId: string): ObjectId {
  const match = /^([0-9a-f]{24})-[0-9a-f]{12}$/.exec(changeId);
  if (!match) throw badInput(`${changeId} is not an address change id`, 'id');
  return new ObjectId(match[1]);
}

function validAddress(input: ShippingAddressDoc): ShippingAddressDoc {
  const name = checkedLine(input.name, 'address.name', MAX_ADDRESS_LINE);
  return { name, ...checkedPostalAddress(input, 'address.') };
}

/** How many address changes one order may have. */
export const MAX_ADDRESS_CHANGES = 20;

/**
 * Records a change and starts it on its way. Asynchronous and coordinator changes answer
 * at once; a synchronous one first asks every stage that might hold the order whether it
 * can apply it (a dry run) and writes nothing if any cannot answer, then applies it at each
 * and answers with their outcomes.
 */
export async function requestAddressChange(request: ChangeRequest, store: OrderStore, stages: StageClients, logger: Logger, shippingCountries: ShippingCountries = null) {
  const mode = request.mode ?? 'ASYNCHRONOUS';
  const address = validAddress(request.address);
  refuseUnserved(address.country, shippingCountries, 'address.country');
  const key = request.idempotencyKey == null ? null : clientKey(request.idempotencyKey, 'idempotencyKey');
  const orderId = parseId(request.orderId, 'orderId');
  const id = orderId.toHexString();
  const changeId = `${id}-${randomBytes(6).toString('hex')}`;

  for (let attempt = 0; attempt < 5; attempt++) {
    const order = await store.findById(orderId);
    if (!order) throw notFound(`no order with id ${id}`, { field: 'orderId' });
    const earlier = key ? order.addressChanges?.find((change) => change.idempotencyKey === key) : undefined;
    if (earlier) {
      if (!sameAddress(earlier.address, address) || earlier.mode !== mode) {
        throw clientError(ErrorCode.CONFLICT, `idempotencyKey ${key} was used for another change (${earlier.id}) of this order`, { field: 'idempotencyKey' });
      }
      await publishRecorded(store, id, earlier.id, enqueuePublication);
      return { order, change: earlier };
    }
    if (order.status === 'CANCELLED') throw clientError(ErrorCode.CONFLICT, `order ${id} was cancelled; there is nothing to change`);
    // Each change stays in the order's document and goes to every stage and to tracking: without
    // a bound, one client could grow an order towards MongoDB's 16 MB and keep the stages busy.
    if ((order.addressChanges?.length ?? 0) >= MAX_ADDRESS_CHANGES) {
      throw clientError(ErrorCode.CONFLICT, `order ${id} has had ${MAX_ADDRESS_CHANGES} address changes, the most an order may have`, { field: 'orderId' });
    }
    const synchronous = asksStages(order, mode);
    if (synchronous) await prepare(stages, payloadOf(id, draft(order, changeId, address, mode, key)));

    // Should this process die between recording the change and enqueuing its publication, a
    // retry with the same key publishes it, or the orders worker finds this note (sweepUnpublished).
    await store.notePublication(changeId, id);
    const updated = await store.change(orderId, (current) => {
      if (current.status === 'CANCELLED' || (key && current.addressChanges?.some((change) => change.idempotencyKey === key))) return null;
      // Checked again here, on the order this change is written over: concurrent requests all
      // passed the check above on the same read (the next pass refuses with CONFLICT).
      if ((current.addressChanges?.length ?? 0) >= MAX_ADDRESS_CHANGES) return null;
      // The order was split into shipments after the dry run: the stages were not asked. Start again.
      if (synchronous !== asksStages(current, mode)) return null;
      const change = draft(current, changeId, address, mode, key);
      return {
        addressVersion: change.version,
        addressChanges: [...(current.addressChanges ?? []), change],
        // Shipments made from now on take the new address; once all have left it stays what they took.
        shippingAddress: current.status === 'SHIPPED' ? current.shippingAddress : address,
      };
    });
    if (!updated) continue; // cancelled, retried or split meanwhile: the next pass answers accordingly
    const change = updated.addressChanges!.find((candidate) => candidate.id === changeId)!;
    await enqueuePublication(store, id, change.id);
    await store.forgetPublicationNote(changeId);
    if (!synchronous) return { order: updated, change };
    const applied = await commit(stages, payloadOf(id, change), logger);
    const recorded = applied.length > 0 ? await recordOutcomes(store, id, change.id, applied) : null;
    const final = recorded ?? (await store.findById(orderId))!;
    return { order: final, change: final.addressChanges!.find((candidate) => candidate.id === change.id)! };
  }
  throw clientError(ErrorCode.CONFLICT, `order ${id} is changing too fast; try again`);
}

/** The change as it would be recorded on `order` now. */
function draft(order: OrderDoc, id: string, address: ShippingAddressDoc, mode: AddressChangeModeCode, key: string | null): AddressChangeDoc {
  const version = (order.addressVersion ?? 0) + 1;
  const orderId = order._id.toHexString();
  const split = isSplit(order);
  const now = new Date();
  // Before the split, this service holds the whole order: it applies the change itself,
  // unless the change waits for the coordinator's next routing of the order.
  const outcomes: AddressChangeOutcomeDoc[] =
    !split && mode !== 'COORDINATOR' ? [{ elementId: orderId, node: 'orders', result: 'APPLIED', detail: `applied by orders while ${order.status}`, at: now }] : [];
  // A shipment this service knows has left is too late in every mode, and the answer says so at
  // once (as a cancellation's does); shipping, sent the change too, says the same, and the first
  // outcome stands.
  for (const shipment of order.shipments.filter((candidate) => candidate.status === 'SHIPPED')) {
    outcomes.push({ elementId: shipment.shipmentId, node: 'orders', result: 'REJECTED', detail: `too late: shipment ${shipment.shipmentId} has left`, at: now });
  }
  return {
    id,
    version,
    mode,
    address,
    idempotencyKey: key,
    requestedAt: now,
    previousAddress: order.shippingAddress,
    // A shipment a cancellation pulled goes nowhere: no address to change.
    scope: split ? order.shipments.filter((shipment) => shipment.status !== 'CANCELLED').map((shipment) => shipment.shipmentId) : [orderId],
    outcomes,
  };
}

/** The first phase of a synchronous change: every stage must answer a dry run, or nothing is written. */
async function prepare(stages: StageClients, change: AddressChangePayload): Promise<void> {
  const answers = await Promise.allSettled(
    addressChangeSubscribers.map(async (stage) => {
      const client = stages(stage);
      if (!client) throw new Error(`no route to ${stage}`);
      await client.request(applyAddressChangeOperation(stage), { change, dryRun: true });
    }),
  );
  // A stage that answered and refused is not a stage that is down: say which it was.
  const refusals = answers.flatMap((answer, i) =>
    answer.status === 'rejected' && answer.reason instanceof RejectedByService ? [`${addressChangeSubscribers[i]}: ${answer.reason.message}`] : [],
  );
  if (refusals.length > 0) throw clientError(ErrorCode.CONFLICT, `cannot change the address synchronously; nothing was changed. ${refusals.join('; ')}`);
  const down = addressChangeSubscribers.filter((_, i) => answers[i]!.status === 'rejected');
  if (down.length > 0) {
    throw clientError(
      ErrorCode.DEPENDENCY_UNAVAILABLE,
      `cannot change the address synchronously: ${down.join(', ')} ${down.length === 1 ? 'is' : 'are'} unavailable; nothing was changed. Try again, or use mode ASYNCHRONOUS.`,
      { services: down },
    );
  }
}

/**
 * The second phase: apply at every stage and collect what each did. A stage that fails
 * now (it answered the dry run a moment ago) still gets the change: the publication
 * enqueued with the change delivers it when the stage is back, and its outcome stays
 * PENDING until then.
 */
async function commit(stages: StageClients, change: AddressChangePayload, logger: Logger): Promise<ReportedOutcome[]> {
  const answers = await Promise.allSettled(
    addressChangeSubscribers.map(async (stage) => {
      const answer = await stages(stage)!.request<Record<string, ChangeOutcome[]>>(applyAddressChangeOperation(stage), { change });
      return answer[applyAddressChangeField(stage)]!.map(({ at, ...outcome }) => ({ ...outcome, node: stage, at: reportedTime(at) }));
    }),
  );
  return answers.flatMap((answer, i) => {
    if (answer.status === 'fulfilled') return answer.value;
    logger.warn('a stage failed between the two phases of a synchronous change; it will get the change when it is back', {
      stage: addressChangeSubscribers[i],
      change: change.changeId,
    });
    return [];
  });
}

const sameAddress = (a: ShippingAddressDoc, b: ShippingAddressDoc) =>
  a.name === b.name && a.line1 === b.line1 && (a.line2 ?? null) === (b.line2 ?? null) && a.city === b.city && a.postalCode === b.postalCode && a.country === b.country;

/**
 * Publishes the changes and cancellations whose requests died between recording them and
 * enqueuing their publication: those noted before `recordedBefore` and recorded on their order
 * (a request still under way may enqueue it too: the step is keyed by the change's id). A note
 * whose change is not on its order is its request's, still writing it, until `givenUpBefore`:
 * then the request died before it wrote it, and the note goes.
 */
export async function sweepUnpublished(store: OrderStore, { recordedBefore, givenUpBefore }: { recordedBefore: Date; givenUpBefore: Date }): Promise<void> {
  for (const note of await store.publicationNotes(recordedBefore, 100)) {
    const order = await store.findById(new ObjectId(note.orderId));
    const change = order?.addressChanges?.some((candidate) => candidate.id === note._id);
    // Cancellations are noted the same way (their ids say which they are).
    const cancellation = order?.cancellation?.id === note._id;
    if (change) await enqueuePublication(store, note.orderId, note._id);
    if (cancellation) await enqueueCancellationPublication(store, note.orderId, note._id);
    if (change || cancellation || note.at < givenUpBefore) await store.forgetPublicationNote(note._id);
  }
}

/**
 * A retry of a recorded change or cancellation: its first request may have died before it enqueued
 * the publication, and the customer's shipments leave meanwhile. Enqueued now (once: the step is
 * keyed by its id), not left to the sweep.
 */
export async function publishRecorded(store: OrderStore, orderId: string, id: string, enqueue: (store: OrderStore, orderId: string, id: string) => Promise<unknown>): Promise<void> {
  await enqueue(store, orderId, id);
  await store.forgetPublicationNote(id);
}

/**
 * The coordinator step that records the request in tracking and publishes the change. Idempotent by
 * change id. Ahead of the steps of orders placed before it: every moment it waits, a shipment may leave.
 */
export function enqueuePublication(store: OrderStore, orderId: string, changeId: string) {
  return store.coordination.enqueue(`address-change:${changeId}`, { kind: 'address-change', orderId, changeId }, { ahead: true });
}

/**
 * What the publication step sends: "change requested" (and the outcomes recorded so far)
 * to tracking, and, unless the coordinator applies it, the change to every subscribed
 * stage of an order already split into shipments.
 */
export function publication(order: OrderDoc, changeId: string): NewMessage[] {
  const change = order.addressChanges?.find((candidate) => candidate.id === changeId);
  if (!change) return [];
  const orderId = order._id.toHexString();
  const requested = transition({
    elementType: 'CHANGE',
    elementId: change.id,
    orderId,
    from: null,
    to: 'CHANGE_REQUESTED',
    node: 'orders',
    at: change.requestedAt,
    // Not the address: whoever holds the order's tracking link reads its history, and an address is
    // personal data (the change itself, with its address, is for the customer and staff: addressChange).
    detail: change.mode.toLowerCase(),
  });
  const outcomes = change.outcomes.map((outcome) => changeTransition({ changeId, orderId }, outcome.node, outcome));
  const messages: NewMessage[] = [track(requested, ...outcomes)];
  // Not when this service already answered for every element (each shipment had left).
  const toStages = change.mode !== 'COORDINATOR' && change.scope.some((id) => id !== orderId && !change.outcomes.some((outcome) => outcome.elementId === id));
  if (toStages) {
    const payload = payloadOf(orderId, change);
    for (const stage of addressChangeSubscribers) {
      messages.push({ id: `address-change:${changeId}:${stage}`, target: stage, operation: applyAddressChangeOperation(stage), variables: { change: payload } });
    }
  }
  return messages;
}

/** An outcome a node reported: where, and when it was reached (when orders records it, if unknown). */
export type ReportedOutcome = Omit<ChangeOutcome, 'at'> & { node: string; at?: Date };

/** The time a node says it reached an outcome (absent: when orders records it); BAD_USER_INPUT when it is no time. */
export function reportedTime(at: string | null | undefined): Date | undefined {
  return at ? sentTime(at, 'at') : undefined;
}

/**
 * Adds outcomes not recorded yet (each element's first outcome stands), and settles what
 * they imply: an element a later change was applied to, straight from an address older
 * than an earlier change, never carried that earlier change (it was superseded). Tracking
 * hears of the outcomes as recorded here. Returns the order, or null when nothing was new.
 */
export async function recordOutcomes(store: OrderStore, orderId: string, changeId: string, outcomes: ReportedOutcome[], known?: OrderDoc): Promise<OrderDoc | null> {
  const now = new Date();
  const order = await store.change(new ObjectId(orderId), (current) => {
    const change = current.addressChanges?.find((candidate) => candidate.id === changeId);
    if (!change) return null;
    const fresh = outcomes.filter((outcome, i) => outcomes.findIndex((other) => other.elementId === outcome.elementId) === i);
    const added = withOutcomes(current, (candidate) =>
      candidate.id === changeId ? fresh.map(({ elementId, node, result, detail, at }) => ({ elementId, node, result, detail, at: at ?? now })) : [],
    );
    let changes = added ?? current.addressChanges ?? [];
    let touched = !!added;
    // Also from an application reported after another answer was recorded for it (a synchronous
    // change's direct call can find the shipment already past it, while the same change's
    // publication had applied it): the versions it skipped still need their outcome.
    for (const outcome of fresh) {
      if (outcome.result !== 'APPLIED' || outcome.fromVersion === null || outcome.fromVersion === undefined) continue;
      const from = outcome.fromVersion;
      const superseded = withOutcomes({ ...current, addressChanges: changes }, (candidate) =>
        candidate.version > from && candidate.version < change.version
          ? [{ elementId: outcome.elementId, node: 'orders', result: 'REJECTED', detail: `superseded by a later change (${changeId})`, at: outcome.at ?? now }]
          : [],
      );
      if (superseded) [changes, touched] = [superseded, true];
    }
    return touched ? { addressChanges: changes } : null;
  }, known);
  // Tracking hears what is recorded here, again on a report delivered twice (a first delivery
  // may have stopped before it told tracking; the same transitions are not sent twice). An order
  // read earlier will do: outcomes are only ever added, so what it holds is recorded.
  const recorded = order ?? known ?? (await store.findById(new ObjectId(orderId)));
  if (recorded) await postRecordedTransitions(store, recorded, outcomes.map((outcome) => outcome.elementId));
  return order;
}

/** The order's changes with the outcomes `pick` gives each added, where its scope has the element and no outcome yet; null when none is added. */
function withOutcomes(order: OrderDoc, pick: (change: AddressChangeDoc) => AddressChangeOutcomeDoc[]): AddressChangeDoc[] | null {
  let touched = false;
  const changes = (order.addressChanges ?? []).map((change) => {
    const added = pick(change).filter(
      (outcome, i, all) =>
        change.scope.includes(outcome.elementId) &&
        !change.outcomes.some((known) => known.elementId === outcome.elementId) &&
        all.findIndex((other) => other.elementId === outcome.elementId) === i,
    );
    if (added.length === 0) return change;
    touched = true;
    return { ...change, outcomes: [...change.outcomes, ...added] };
  });
  return touched ? changes : null;
}

/**
 * The coordinator routes elements with the order's address at version `routed`: the change of
 * that version, if it has no outcome for them yet, is applied, by this service, as it routes
 * them; earlier ones still without one were superseded by it (their address is on nothing
 * sent). A change recorded after the order was read stays pending.
 */
function settleRouted(order: OrderDoc, elementIds: string[], routed: number, where: string) {
  const at = new Date();
  const routedChange = order.addressChanges?.find((change) => change.version === routed);
  const changes = withOutcomes(order, (change) => {
    if (change.version === routed) return elementIds.map((elementId) => ({ elementId, node: 'orders', result: 'APPLIED' as const, detail: `applied by the coordinator ${where}`, at }));
    if (change.version > routed) return [];
    return elementIds.map((elementId) => ({ elementId, node: 'orders', result: 'REJECTED' as const, detail: `superseded by a later change (${routedChange?.id ?? `version ${routed}`})`, at }));
  });
  return changes ? { addressChanges: changes } : null;
}

/** A shipment left without passing the coordinator again: coordinator changes still waiting for it came too late. */
function rejectUnrouted(order: OrderDoc, shipmentId: string, detail: string | null) {
  const at = new Date();
  const reason = `too late: shipment ${shipmentId} left${detail ? ` (${detail})` : ''} before the coordinator routed it again`;
  const changes = withOutcomes(order, (change) =>
    change.mode === 'COORDINATOR' ? [{ elementId: shipmentId, node: 'orders', result: 'REJECTED' as const, detail: reason, at }] : [],
  );
  return changes ? { addressChanges: changes } : null;
}

/** The order was cancelled: changes still waiting for an outcome will never get one from a node. */
export function rejectPending(order: OrderDoc): Pick<OrderDoc, 'addressChanges'> | null {
  const at = new Date();
  const changes = withOutcomes(order, (change) =>
    change.scope.map((elementId) => ({ elementId, node: 'orders', result: 'REJECTED' as const, detail: 'the order was cancelled', at })),
  );
  return changes ? { addressChanges: changes } : null;
}

/** Some shipments were pulled by a cancellation: changes still waiting for them will never get an outcome from a node. */
export function rejectPendingFor(order: OrderDoc, shipmentIds: string[]): Pick<OrderDoc, 'addressChanges'> | null {
  const at = new Date();
  const changes = withOutcomes(order, () =>
    shipmentIds.map((elementId) => ({ elementId, node: 'orders', result: 'REJECTED' as const, detail: 'the shipment was cancelled', at })),
  );
  return changes ? { addressChanges: changes } : null;
}

/**
 * The transitions telling tracking the outcomes recorded here for some elements, whichever node
 * reached them: tracking hears of them only from this service, so the two never disagree
 * (re-derived, so a re-run sends them again).
 */
function recordedTransitions(order: OrderDoc, elementIds: string[]): TransitionPayload[] {
  const orderId = order._id.toHexString();
  return (order.addressChanges ?? []).flatMap((change) =>
    change.outcomes
      .filter((outcome) => elementIds.includes(outcome.elementId))
      .map((outcome) => changeTransition({ changeId: change.id, orderId }, outcome.node, outcome)),
  );
}

/** Sends tracking the outcomes recorded for these elements; the same set again is not sent twice. */
export function postRecordedTransitions(store: OrderStore, order: OrderDoc, elementIds: string[]): Promise<void> {
  return tellTracking(store, order._id.toHexString(), recordedTransitions(order, elementIds));
}

/**
 * Sends tracking outcomes recorded on an order, at once where this process can call tracking
 * (subscribers hear of an outcome as it is recorded, not after a relay), through the outbox
 * otherwise or if that fails. The same set again is not sent twice.
 */
export async function tellTracking(store: OrderStore, orderId: string, transitions: TransitionPayload[]): Promise<void> {
  if (transitions.length === 0) return;
  const digest = createHash('sha256').update(transitions.map((t) => t.id).join('|')).digest('hex').slice(0, 16);
  await store.toTracking(`outcomes:${orderId}:${digest}`, track(...transitions));
}

/** Records, on the order, that the coordinator is routing these elements at address version `routed`; returns the transitions to send. */
export async function settleRouting(store: OrderStore, order: OrderDoc, elementIds: string[], routed: number, where: string): Promise<TransitionPayload[]> {
  const latest = settleRouted(order, elementIds, routed, where)
    ? ((await store.change(order._id, (current) => settleRouted(current, elementIds, routed, where))) ?? (await store.findById(order._id))!)
    : order;
  return recordedTransitions(latest, elementIds);
}

/** A shipment has left: coordinator changes still waiting for it are rejected, and tracking is told (again, on a redelivery). */
export async function settleDeparture(store: OrderStore, orderId: string, shipmentId: string, detail: string | null, known: OrderDoc | null = null): Promise<void> {
  const id = new ObjectId(orderId);
  // The caller usually has just written the order (its progress): no need to read it again.
  const before = known ?? (await store.findById(id));
  if (!before?.addressChanges?.length) return; // the usual case: nothing to settle
  const order = (await store.change(id, (current) => rejectUnrouted(current, shipmentId, detail))) ?? before;
  await postRecordedTransitions(store, order, [shipmentId]);
}
