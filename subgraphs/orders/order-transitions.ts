import { track, transition, transitionId, type TransitionPayload, type TransitionState } from '../../pipeline/tracking.ts';
import { placementUnsent, transitionsOf, type OrderDoc, type OrderStore, type OrderTransitionDoc } from './store.ts';

// The order's transitions. The coordinator's steps send the moves they make (CHARGING, RESERVING,
// PICKING, ...) with their own messages; the rest are the order's own: those its shipments'
// progress makes (PICKING → REBIN → SHIPPING → PARTLY_SHIPPED → SHIPPED) and a cancellation. They
// go to tracking through this service's outbox, like every node's, so an app can wait for "the
// order shipped" (or was cancelled) without reading shipments.

/**
 * The order's transitions as tracking records them, oldest first: its placement, then every move
 * it recorded (its own and the coordinator's), each with the time it was made.
 */
export function recordedTransitions(order: OrderDoc): TransitionPayload[] {
  const orderId = order._id.toHexString();
  const of = (from: string | null, to: TransitionState, at: Date, detail: string | null, key?: string | null) =>
    transition({ elementType: 'ORDER', elementId: orderId, orderId, from, to, node: 'orders', at, detail, key: key ?? undefined });
  return [of(null, 'PLACED', order.placedAt, null), ...transitionsOf(order).map((t) => of(t.from, t.to, t.at, t.detail, t.key))];
}

/**
 * One of the order's moves as the coordinator reports it: as the order recorded it when it was
 * made (the same id, time and detail as in the order's other messages to tracking), or, for a
 * move the order holds no record of (made before moves were recorded, or none made: still out of
 * stock on a retry), as of `at` (the write that found it so), else now.
 */
export function orderMove(order: OrderDoc, from: string | null, to: TransitionState, options: { detail?: string | null; key?: string; at?: Date } = {}): TransitionPayload {
  const orderId = order._id.toHexString();
  const id = transitionId({ elementType: 'ORDER', elementId: orderId, from, to, key: options.key });
  const recorded = recordedTransitions(order).find((candidate) => candidate.id === id);
  if (recorded) return recorded;
  return transition({ elementType: 'ORDER', elementId: orderId, orderId, from, to, node: 'orders', detail: options.detail ?? null, key: options.key, at: options.at });
}

/**
 * After a stage's progress report: tells tracking at once of the order's latest move (`latest`),
 * with every move before it, and of any move still unsent (a cancel's whose sending died).
 *
 * A report's move is written marked sent (applyProgress), as a coordinator's step's is: marking it
 * after sending would be a second write of the order per report. A crash between the write and
 * the send loses nothing: the stage's relay sends the report again until it gets an answer, and a
 * report that moves nothing (that redelivery among others) tells the latest move again, which
 * tracking passes over if it has it. A later move's message carries it too.
 */
export async function sendProgress(store: OrderStore, order: OrderDoc, { latest }: { latest: boolean }): Promise<void> {
  const [placement, ...moves] = recordedTransitions(order);
  const last = moves.at(-1);
  if (latest && last) await store.toTracking(`order-transition:${last.id}`, track(...onceEach([placement!, ...toldUpTo(transitionsOf(order), moves, moves.length)])));
  await sendOrderTransitions(store, order, 'now');
}

/**
 * The order's transitions as its messages have told them so far (its placement, then each move
 * after its causes), with `ahead` (transitions of other elements that led to one of its moves)
 * before the first move `leadsTo` names, else after them all: what a refund of the order follows,
 * told to tracking ahead of the refund's own moves by the node that pays it back.
 */
export function toldSoFar(order: OrderDoc, ahead: readonly TransitionPayload[] = [], leadsTo: (move: OrderTransitionDoc) => boolean = () => false): TransitionPayload[] {
  const all = transitionsOf(order);
  const [placement, ...moves] = recordedTransitions(order);
  const led = all.findIndex(leadsTo);
  return onceEach([placement!, ...toldUpTo(all, moves, led === -1 ? all.length : led), ...ahead, ...toldUpTo(all, moves, all.length)]);
}

/**
 * The order's first `count` moves as its messages tell them: each after the moves of its shipments
 * that made it (`causes`). A later move's message tells the earlier ones again, and may arrive first.
 */
function toldUpTo(records: readonly OrderTransitionDoc[], moves: readonly TransitionPayload[], count: number): TransitionPayload[] {
  return moves.slice(0, count).flatMap((move, i) => [...(records[i]?.causes ?? []), move]);
}

/** Each transition once, where it first comes: a shipment's moves are causes of several of the order's. */
function onceEach(transitions: readonly TransitionPayload[]): TransitionPayload[] {
  const seen = new Set<string>();
  return transitions.filter((t) => !seen.has(t.id) && seen.add(t.id));
}

/**
 * Sends tracking every transition of the order not yet sent, then marks them sent. The order
 * records each with the change that makes it (store.change), so one whose sending died is still
 * there, unsent, for the next call to send, whichever report or cancel makes it. Idempotent: the
 * outbox takes a message once by id and tracking a transition once by id, so sending one again
 * (two calls at once, a crash before the mark) is harmless.
 *
 * `now`: straight to tracking, through the outbox only when tracking does not take it
 * (kit/send-now.ts), which waits for tracking up to its timeout. Only for a caller that asks again
 * until it gets an answer (a stage's relay reporting progress): a crash during that wait is
 * repaired by its next call. A person's cancel may never come again, so it is posted to the
 * outbox, an insert that is done in milliseconds.
 */
export async function sendOrderTransitions(store: OrderStore, order: OrderDoc, how: 'now' | 'outbox' = 'outbox', ahead: readonly TransitionPayload[] = []): Promise<void> {
  const all = transitionsOf(order);
  const unsent = all.filter((t) => !t.sentAt);
  if (unsent.length === 0) return;
  const [placement, ...moves] = recordedTransitions(order);
  for (const [i, t] of all.entries()) {
    if (t.sentAt) continue;
    // Each message carries the order's transitions up to its own, its placement first, and
    // tracking records each transition once: whichever message arrives first records them in the
    // order they happened, so a subscriber never sees SHIPPED before PARTLY_SHIPPED, nor the
    // order's own moves before the coordinator's. Those the coordinator's steps told tracking
    // with their own messages are told again: such a message can be held up in the orders
    // worker's outbox (tracking was down a moment, and its relay backs off) while this one goes at
    // once, and tracking passes over in memory a transition it appended.
    const id = `order-transition:${moves[i]!.id}`;
    // `ahead`: moves of other elements that led to the order's latest (a cancellation's), told with it and before it.
    const message = track(...onceEach([placement!, ...toldUpTo(all, moves, i), ...(i === all.length - 1 ? ahead : []), ...(t.causes ?? []), moves[i]!]));
    if (how === 'now') await store.toTracking(id, message);
    else await store.reports.post(id, [message]);
  }
  await store.markTransitionsSent(order, unsent);
}

/**
 * Posts the transitions a crash left unsent on an order for longer than `olderThan` ago: a cancel
 * whose process died between writing its move and posting it, which nobody may ask for again.
 * Run by the orders worker's sweep; younger ones are still being sent by what wrote them.
 *
 * An order placed CHARGING whose placement died before its first charge request was known to have
 * gone (place-order.ts, `handOn`) gets the coordinator's first step instead, which sends the
 * request with the move (again, perhaps: payments takes it once) and marks the move sent. Should
 * that step have finished and left the move unsent (an earlier version's worker ran it, during an
 * upgrade), the move is posted.
 */
export async function sweepUnsentTransitions(store: OrderStore, olderThan: Date): Promise<void> {
  for (const order of await store.withUnsentTransitions(100)) {
    const unsent = transitionsOf(order).filter((t) => !t.sentAt);
    if (!unsent.some((t) => t.at < olderThan)) continue;
    // Its step waits, or was enqueued now: that sends them.
    if (placementUnsent(order) && (await store.ensureJourney(order._id.toHexString())) !== 'finished') continue;
    await sendOrderTransitions(store, order);
  }
}
