import type { NewMessage } from '../kit/queue.ts';
import type { HandedOver, ShipmentPayload } from './messages.ts';
import { currentTraceId } from '../kit/telemetry.ts';
import { badInput } from '../kit/errors.ts';
import { isoTime } from '../kit/iso-time.ts';
import { MAX_ID_BYTES } from '../kit/blank-ids.ts';

// Every node records the state transitions it makes, for the tracking service, through
// its own outbox: recording never blocks or slows the work, a tracking service that is
// down loses nothing, and a transition delivered twice is stored once (by its id).

/** What kinds of element nodes record transitions of (tracking's `ElementType`). */
export const elementTypes = ['ORDER', 'SHIPMENT', 'CHARGE', 'RECEIPT', 'CHANGE', 'CANCEL', 'REFUND', 'RETURN'] as const;
export type ElementType = (typeof elementTypes)[number];
export const isElementType = (type: string): type is ElementType => (elementTypes as readonly string[]).includes(type);

/**
 * Every state a node records an element entering (a transition's `to`), of every element type.
 * `pipelineTransitions(state:)` takes these only: a state no node records would never match.
 */
export const transitionStates = [
  // orders (ORDER), and shipments as they move through the stages (SHIPMENT)
  'PLACED',
  'CHARGING',
  'RESERVING',
  'PICKING',
  'REBIN',
  'SHIPPING',
  'PARTLY_SHIPPED',
  'SHIPPED',
  'PAYMENT_DECLINED',
  'OUT_OF_STOCK',
  'CANCELLED',
  // a charge's outcome (CHARGE)
  'APPROVED',
  'DECLINED',
  // receiving (RECEIPT) and returns (RETURN)
  'STOCKED',
  'RETURN_REQUESTED',
  'ITEM_RECEIVED',
  // changes in flight (CHANGE, CANCEL) and refunds (REFUND)
  'CHANGE_REQUESTED',
  'CHANGE_APPLIED',
  'CHANGE_REJECTED',
  'CANCEL_REQUESTED',
  'CANCEL_APPLIED',
  'CANCEL_REJECTED',
  'REFUND_REQUESTED',
  'REFUNDED',
  'REFUND_FAILED',
] as const;

export type TransitionState = (typeof transitionStates)[number];

/** Whether some node records elements entering `state`. */
export const isTransitionState = (state: string): state is TransitionState => (transitionStates as readonly string[]).includes(state);

export interface TransitionPayload {
  /** Stable for the same transition, so re-runs and re-deliveries are stored once. */
  id: string;
  elementType: ElementType;
  elementId: string;
  orderId: string | null;
  from: string | null;
  to: TransitionState;
  /** The service that made the transition. */
  node: string;
  at: string;
  detail: string | null;
  /** The trace of the work that made it (null while tracing is off): from an order's history to its trace. */
  traceId: string | null;
}

export const recordTransitionsOperation = `mutation RecordTransitions($input: [TransitionInput!]!) { recordTransitions(input: $input) }`;

/** A transition's id: its element, its change, and `key`, which tells apart repeats of the same change (a second charge attempt after a decline). */
export function transitionId(input: Pick<TransitionPayload, 'elementType' | 'elementId' | 'from' | 'to'> & { key?: string }): string {
  return `${input.elementType}:${input.elementId}:${input.from ?? 'NEW'}>${input.to}${input.key ? `:${input.key}` : ''}`;
}

export function transition(
  input: Omit<TransitionPayload, 'id' | 'at' | 'detail' | 'orderId' | 'traceId'> & { orderId?: string | null; detail?: string | null; at?: Date; key?: string },
): TransitionPayload {
  return {
    id: transitionId(input),
    elementType: input.elementType,
    elementId: input.elementId,
    orderId: input.orderId ?? null,
    from: input.from,
    to: input.to,
    node: input.node,
    at: (input.at ?? new Date()).toISOString(),
    detail: input.detail ?? null,
    traceId: currentTraceId() ?? null,
  };
}

/** Longest id, element id or order id a transition may have, in UTF-8 bytes: as any id (kit/blank-ids.ts). */
export { MAX_ID_BYTES };
/** Longest state (`from`, `to`) or node name, in UTF-8 bytes: those the nodes send are under 20. */
const MAX_NAME_BYTES = 100;
/** Longest detail, in UTF-8 bytes: the longest a node sends is a few hundred (a customer's reason is at most 500 characters). */
const MAX_DETAIL_BYTES = 16_384;
/** Earliest time a transition may say it happened: `history` and `location` go by it. */
const EARLIEST_AT = Date.UTC(2000, 0, 1);
/** The latest a transition may be dated, ahead of the clock of the process that checks it. */
export const MAX_AHEAD_MS = 24 * 3_600_000;

/** A transition as a node hands it on (tracking's `TransitionInput`). */
export interface TransitionInputFields {
  id: string;
  elementType: ElementType;
  elementId: string;
  orderId?: string | null;
  from?: string | null;
  to: string;
  node: string;
  at: string;
  detail?: string | null;
  traceId?: string | null;
}

/**
 * A transition as tracking records it, or BAD_USER_INPUT saying what is wrong with it. Also
 * checked by a node that takes transitions to tell tracking later (payments, a refund's): one
 * tracking would refuse is refused when it is handed over, not lost once it is sent on.
 */
export function checkedTransition(t: TransitionInputFields): Omit<TransitionPayload, 'at'> & { at: Date } {
  const at = isoTime(t.at);
  if (!at) throw badInput(`transition ${t.id} has no valid time (ISO 8601 with an offset, as 2020-01-31T12:00:00.000Z)`, 'at');
  if (at.getTime() < EARLIEST_AT || at.getTime() > Date.now() + MAX_AHEAD_MS) throw badInput(`transition ${t.id} has a time before 2000 or more than a day ahead`, 'at');
  if (t.traceId != null && !/^[0-9a-f]{32}$/.test(t.traceId)) throw badInput(`transition ${t.id} has a trace id that is not 32 lowercase hex digits`, 'traceId');
  // Ids: the database indexes them, and PostgreSQL refuses an index entry over about 2.7 KB, after
  // part of a batch is stored. The rest: a transition too large for a document (16 MB) failed the
  // other deliveries stored in the same insert.
  const limits = [['id', t.id, MAX_ID_BYTES], ['elementId', t.elementId, MAX_ID_BYTES], ['orderId', t.orderId, MAX_ID_BYTES], ['from', t.from, MAX_NAME_BYTES], ['to', t.to, MAX_NAME_BYTES], ['node', t.node, MAX_NAME_BYTES], ['detail', t.detail, MAX_DETAIL_BYTES]] as const;
  for (const [field, value, most] of limits) {
    if (value != null && Buffer.byteLength(value, 'utf8') > most) throw badInput(`a transition's ${field} must be at most ${most} bytes of UTF-8`, field);
  }
  for (const [field, value] of [['to', t.to], ['node', t.node]] as const) {
    if (value.trim() === '') throw badInput(`a transition's ${field} must not be empty`, field);
  }
  return { id: t.id, elementType: t.elementType, elementId: t.elementId, orderId: t.orderId ?? null, from: t.from ?? null, to: t.to as TransitionState, node: t.node, at, detail: t.detail ?? null, traceId: t.traceId ?? null };
}

/** The outbox message that records some transitions. */
export function track(...transitions: TransitionPayload[]): NewMessage {
  return { id: `track:${transitions.map((t) => t.id).join('|')}`, target: 'tracking', operation: recordTransitionsOperation, variables: { input: transitions } };
}

/**
 * These messages with every one to tracking merged into one, where the first was, its
 * transitions in the order given. The relay delivers an element's messages side by side, so
 * transitions split over two messages could be recorded in either order.
 */
export function inOrder(messages: readonly NewMessage[]): NewMessage[] {
  const tracked = messages.filter((message) => message.target === 'tracking' && message.operation === recordTransitionsOperation);
  if (tracked.length < 2) return [...messages];
  const merged = track(...tracked.flatMap((message) => (message.variables as { input: TransitionPayload[] }).input));
  return messages.flatMap((message) => (message === tracked[0] ? [merged] : tracked.includes(message) ? [] : [message]));
}

/**
 * What a shipment's hand-off carries of the move that handed it over. The node it reaches records
 * that move again, in the same message as its own and before it (handedOverMove): each node
 * records through its own outbox, and one node's records can reach tracking many seconds after
 * the next node's, which subscribers then got first. Tracking stores a transition once by its id,
 * so the move is stored and logged once, by whichever record arrives first.
 */
export function handedOver(move: HandedOver): HandedOver {
  return { from: move.from, to: move.to, node: move.node, at: move.at, detail: move.detail, traceId: move.traceId };
}

/**
 * The move that handed `shipment` over, as the transition its sender recorded (the same id), or
 * none: a shipment handed over before hand-offs carried it, or one whose carried move is not a
 * move of a state tracking takes (tracking would refuse the whole message, the node's own move with it).
 */
export function handedOverMove(shipment: Pick<ShipmentPayload, 'shipmentId' | 'orderId' | 'handedOver'>): TransitionPayload[] {
  const move = shipment.handedOver;
  if (!move || !isTransitionState(move.to) || (move.from !== null && !isTransitionState(move.from)) || Number.isNaN(Date.parse(move.at))) return [];
  if (move.traceId !== null && !/^[0-9a-f]{32}$/.test(move.traceId)) return [];
  const { from, to } = move;
  return [
    {
      id: transitionId({ elementType: 'SHIPMENT', elementId: shipment.shipmentId, from, to }),
      elementType: 'SHIPMENT',
      elementId: shipment.shipmentId,
      orderId: shipment.orderId,
      from,
      to,
      node: move.node,
      at: move.at,
      detail: move.detail,
      traceId: move.traceId,
    },
  ];
}

