import { badInput } from '../../kit/errors.ts';
import type { Resolvers } from './generated/resolvers-types.ts';
import { stageWaits } from './waits.ts';

export const resolvers: Resolvers = {
  Query: {
    stageWaits: async (_, { minutes }, { store }) => {
      const window = minutes ?? 60;
      if (!Number.isInteger(window) || window < 1 || window > 7 * 24 * 60) throw badInput('minutes must be between 1 and 10080', 'minutes');
      return stageWaits(await store.since(new Date(Date.now() - window * 60_000)));
    },
    transitions: (_, { elementId }, { store }) => store.forElement(elementId),
  },
  Mutation: {
    recordTransitions: (_, { input }, { store }) =>
      store.record(
        input.map((t) => {
          const at = new Date(t.at);
          if (Number.isNaN(at.getTime())) throw badInput(`transition ${t.id} has no valid time`, 'at');
          return { _id: t.id, elementType: t.elementType, elementId: t.elementId, orderId: t.orderId ?? null, from: t.from ?? null, to: t.to, node: t.node, at, detail: t.detail ?? null };
        }),
      ),
  },
  Order: {
    __resolveReference: (ref) => ({ id: ref.id }),
    history: (order, _, { historyByOrder }) => historyByOrder.load(order.id),
    location: async (order, _, { historyByOrder }) => {
      const history = await historyByOrder.load(order.id);
      const last = history[history.length - 1];
      return last ? { state: last.to, node: last.node, since: last.at.toISOString() } : null;
    },
  },
  Transition: {
    id: (t) => t._id,
    at: (t) => t.at.toISOString(),
  },
};
