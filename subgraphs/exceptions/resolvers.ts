import { pageRequest } from '../../kit/paging.ts';
import { resolveException } from './actions.ts';
import { readableText } from '../../kit/storable-text.ts';
import type { RaiseExceptionInput, Resolvers } from './generated/resolvers-types.ts';
import type { RaiseInput } from './store.ts';

const MAX_RESOLUTION = 500;

const raiseInput = (input: RaiseExceptionInput): RaiseInput => ({
  id: input.id,
  occurrence: input.occurrence,
  service: input.service,
  queue: input.queue,
  elementId: input.elementId,
  orderId: input.orderId ?? null,
  reason: input.reason,
});

export const resolvers: Resolvers = {
  Query: {
    exceptions: (_, { status, service, first, after }, { store }) => store.list({ status, service }, pageRequest('exceptions', { first, after }, 50)),
    pipelineException: (_, { id }, { store }) => store.get(id),
  },
  Mutation: {
    raiseException: (_, { input }, { store }) => store.raise(raiseInput(input)),
    closeException: (_, { input, resolution }, { store }) => store.close(raiseInput(input), readableText(resolution, 'resolution', MAX_RESOLUTION)),
    retryException: (_, { id }, { store, clients }) => resolveException(id, 'RETRY', store, clients),
    cancelException: (_, { id }, { store, clients }) => resolveException(id, 'CANCEL', store, clients),
  },
  PipelineException: {
    id: (doc) => doc._id,
    occurrences: (doc) => doc.occurrences.length,
    raisedAt: (doc) => doc.raisedAt.toISOString(),
    resolvedAt: (doc) => doc.resolvedAt?.toISOString() ?? null,
    resolution: (doc) => doc.resolution ?? null,
    order: (doc) => (doc.orderId ? { id: doc.orderId } : null),
  },
  Order: {
    __resolveReference: (ref) => ({ id: ref.id }),
    exceptions: (order, _, { exceptionsByOrder }) => exceptionsByOrder.load(order.id),
  },
};
