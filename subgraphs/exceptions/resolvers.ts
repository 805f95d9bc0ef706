import { pageRequest } from '../../kit/paging.ts';
import { resolveException } from './actions.ts';
import type { Resolvers } from './generated/resolvers-types.ts';

export const resolvers: Resolvers = {
  Query: {
    exceptions: (_, { status, service, first, after }, { store }) => store.list({ status, service }, pageRequest('exceptions', { first, after }, 50)),
    pipelineException: (_, { id }, { store }) => store.get(id),
  },
  Mutation: {
    raiseException: (_, { input }, { store }) =>
      store.raise({
        id: input.id,
        occurrence: input.occurrence,
        service: input.service,
        queue: input.queue,
        elementId: input.elementId,
        orderId: input.orderId ?? null,
        reason: input.reason,
      }),
    retryException: (_, { id }, { store, clients }) => resolveException(id, 'RETRY', store, clients),
    cancelException: (_, { id }, { store, clients }) => resolveException(id, 'CANCEL', store, clients),
  },
  PipelineException: {
    id: (doc) => doc._id,
    occurrences: (doc) => doc.occurrences.length,
    raisedAt: (doc) => doc.raisedAt.toISOString(),
    resolvedAt: (doc) => doc.resolvedAt?.toISOString() ?? null,
    order: (doc) => (doc.orderId ? { id: doc.orderId } : null),
  },
  Order: {
    __resolveReference: (ref) => ({ id: ref.id }),
    exceptions: (order, _, { exceptionsByOrder }) => exceptionsByOrder.load(order.id),
  },
};
