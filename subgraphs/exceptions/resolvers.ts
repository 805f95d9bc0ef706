import { clientError, ErrorCode, notFound } from '../../kit/errors.ts';
import { pageRequest } from '../../kit/paging.ts';
import { resolveOperation } from '../../pipeline/exceptions.ts';
import type { Context } from './context.ts';
import type { Resolvers } from './generated/resolvers-types.ts';
import type { ExceptionDoc } from './store.ts';

/**
 * Retry and cancel are carried out by the service that parked the element (it owns
 * that element's queue), called synchronously: if it is down, the person gets
 * DEPENDENCY_UNAVAILABLE and the exception stays OPEN, nothing half-done.
 */
async function resolve(id: string, action: 'RETRY' | 'CANCEL', { store, clients }: Context): Promise<ExceptionDoc> {
  const exception = await store.get(id);
  if (!exception) throw notFound(`no exception ${id}`);
  if (exception.status !== 'OPEN') throw clientError(ErrorCode.CONFLICT, `exception ${id} is already ${exception.status}`);
  const client = clients.get(exception.service);
  if (!client) throw clientError(ErrorCode.DEPENDENCY_UNAVAILABLE, `no route to the ${exception.service} service`);
  await client.request(resolveOperation(exception.service), { queue: exception.queue, elementId: exception.elementId, action });
  return (await store.resolve(id, action === 'RETRY' ? 'RETRIED' : 'CANCELLED')) ?? (await store.get(id))!;
}

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
    retryException: (_, { id }, context) => resolve(id, 'RETRY', context),
    cancelException: (_, { id }, context) => resolve(id, 'CANCEL', context),
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
