import { badInput } from '../../kit/errors.ts';
import { parseId } from '../../kit/ids.ts';
import { isServiceName, serviceNames } from '../../pipeline/services.ts';
import { checkedTransition, isTransitionState, MAX_ID_BYTES, transitionStates } from '../../pipeline/tracking.ts';
import type { Resolvers } from './generated/resolvers-types.ts';
import type { Context } from './context.ts';
import type { EventCursors } from './cursors.ts';
import type { EventDoc, TransitionDoc } from './store.ts';

/** The event number a cursor stands for (cursors.ts); absent means "from now". */
function cursorArg(after: string | null | undefined, cursors: EventCursors): number | null {
  if (after === null || after === undefined) return null;
  const seq = cursors.open(after);
  if (seq === null) throw badInput('after must be a cursor from an earlier event', 'after');
  return seq;
}

/**
 * Most transitions one delivery records. A node sends an element's moves, a few to some tens;
 * 20,000 in one delivery took 10 s, and every other delivery to this process waited behind it.
 */
const MAX_TRANSITIONS_PER_DELIVERY = 1_000;
const transitionOf = ({ _id, seq: _seq, transitionId, recordedAt: _recordedAt, ...fields }: EventDoc): TransitionDoc => ({ ...fields, _id: transitionId });

export const resolvers: Resolvers = {
  Query: {
    stageWaits: async (_, { minutes }, { stageWaits }) => {
      const window = minutes ?? 60;
      if (!Number.isInteger(window) || window < 1 || window > 7 * 24 * 60) throw badInput('minutes must be between 1 and 10080', 'minutes');
      return stageWaits(window);
    },
    transitions: (_, { elementId }, { store }) => {
      // Longer than any id a transition is recorded with: said so, not answered with an empty list.
      if (Buffer.byteLength(elementId, 'utf8') > MAX_ID_BYTES) throw badInput(`element ids are at most ${MAX_ID_BYTES} bytes of UTF-8`, 'elementId');
      return store.forElement(elementId);
    },
  },
  Subscription: {
    orderTransitions: {
      subscribe: async (_, { orderId, after }, { log, cursors }) => {
        // Orders' ids are ObjectIds: a malformed one could never match, and would wait forever.
        const id = parseId(orderId, 'orderId').toHexString();
        return log.follow(await log.checkCursor(cursorArg(after, cursors)), (event) => event.orderId === id, id);
      },
      resolve: eachEventAfresh,
    },
    pipelineTransitions: {
      subscribe: async (_, { stage, state, elementType, after }, { log, cursors }) => {
        // A stage that does not exist would never match: refuse it rather than wait forever.
        // An empty one too: it is not "any" (leave the argument out for that). The lists come first,
        // so a long name cut off at the end of the message leaves them whole.
        if (stage != null && !isServiceName(stage)) throw badInput(`stages are ${serviceNames.join(', ')}; none is named ${stage}`, 'stage');
        if (state != null && !isTransitionState(state)) throw badInput(`elements enter the states ${transitionStates.join(', ')}; none is named ${state}`, 'state');
        return log.follow(
          await log.checkCursor(cursorArg(after, cursors)),
          (event) => (stage == null || event.node === stage) && (state == null || event.to === state) && (!elementType || event.elementType === elementType),
        );
      },
      resolve: eachEventAfresh,
    },
  },
  Mutation: {
    recordTransitions: (_, { input }, { log }) => {
      if (input.length > MAX_TRANSITIONS_PER_DELIVERY) throw badInput(`a delivery records at most ${MAX_TRANSITIONS_PER_DELIVERY} transitions; send more in several`, 'input');
      return log.record(
        input.map((t) => {
          const { id, traceId, ...fields } = checkedTransition(t);
          return { _id: id, ...fields, ...(traceId ? { traceId } : {}) };
        }),
      );
    },
  },
  Order: {
    __resolveReference: (ref) => ({ id: ref.id }),
    history: async (order, _, { historyByOrder }) => (await historyByOrder.load(order.id)).transitions,
    historyCursor: async (order, _, { historyByOrder, cursors }) => cursors.seal((await historyByOrder.load(order.id)).completeThrough),
    location: async (order, _, { historyByOrder }) => {
      const last = whereNow((await historyByOrder.load(order.id)).transitions);
      return last ? { state: last.to, node: last.node, since: last.at.toISOString() } : null;
    },
  },
  Transition: {
    id: (t) => t._id,
    at: (t) => t.at.toISOString(),
  },
  TransitionEvent: {
    cursor: (event, _, { cursors }) => cursors.seal(event.seq),
    transition: transitionOf,
    order: (event) => (event.orderId ? { id: event.orderId } : null),
    shipment: (event) => (event.elementType === 'SHIPMENT' ? { id: event.elementId } : null),
  },
};

/** Transitions about an order rather than moves of it: they say nothing of where it is. */
const notMoves = new Set(['CHANGE', 'CANCEL', 'REFUND', 'RETURN']);

/**
 * The transition that says where the order is: its latest move (oldest first in `history`). A
 * charge counts only while the order waits for it (its own latest move is to CHARGING): one that
 * lands after the order was cancelled, or a fee a person charged naming it later, moves nothing.
 * A cancelled order stays where it was cancelled.
 */
function whereNow(history: readonly TransitionDoc[]): TransitionDoc | undefined {
  let last: TransitionDoc | undefined;
  let ownLast: TransitionDoc | undefined;
  for (const t of history) {
    if (notMoves.has(t.elementType)) continue;
    if (t.elementType === 'CHARGE' && ownLast && ownLast.to !== 'CHARGING') continue;
    if (ownLast?.to === 'CANCELLED') continue;
    last = t;
    if (t.elementType === 'ORDER') ownLast = t;
  }
  return last;
}

/**
 * A subscription keeps one context for all its events: what an event's fields read (the order's
 * history and location) is read again for each event, not remembered from the first one.
 */
function eachEventAfresh(event: EventDoc, _args: unknown, context: Context): EventDoc {
  context.historyByOrder.clearAll();
  return event;
}
