import { isStaff } from '../../kit/auth/identity.ts';
import { identityOf } from '../../kit/auth/ownership.ts';
import { badInput } from '../../kit/errors.ts';
import { pageRequest } from '../../kit/paging.ts';
import { MAX_RESOLUTION } from '../../pipeline/exceptions.ts';
import { resolveException } from './actions.ts';
import { notBlank, readableText } from '../../kit/storable-text.ts';
import type { RaiseExceptionInput, Resolvers } from './generated/resolvers-types.ts';
import type { Actor, ExceptionDoc, RaiseInput } from './store.ts';

const MAX_NOTE = 500;

/** The person (or service) acting, as the gateway vouched for them, and their note. */
const actorOf = (context: unknown, note: string | null | undefined): Actor => ({
  subject: identityOf(context).subject,
  note: note == null ? null : readableText(note, 'note', MAX_NOTE),
});

/** The longest name a service filter may give: none is near it. */
const MAX_SERVICE_NAME = 100;

const raiseInput = (input: RaiseExceptionInput): RaiseInput => ({
  id: input.id,
  occurrence: input.occurrence,
  service: input.service,
  queue: input.queue,
  elementId: input.elementId,
  orderId: input.orderId ?? null,
  reason: input.reason,
  customerReason: input.customerReason ?? null,
});

/**
 * A failure's own text can name services, addresses and internal errors: staff read it, and a
 * customer reads what was written for them, or only where the order is held up.
 */
const reasonFor = (doc: ExceptionDoc, context: unknown): string =>
  isStaff(identityOf(context)) ? doc.reason : (doc.customerReason ?? writtenForCustomerBefore(doc) ?? `Held up in ${doc.service}; our staff have been told and will act on it.`);

/**
 * Raised before raises carried words for the customer (the field absent, not null): the orders
 * coordinator's own reasons for a declined card and for missing stock were written for them.
 */
const writtenForCustomerBefore = (doc: ExceptionDoc): string | null =>
  doc.customerReason === undefined && doc.service === 'orders' && /^(card declined: |not enough stock for )/.test(doc.reason) ? doc.reason : null;

export const resolvers: Resolvers = {
  Query: {
    // A blank service is not "any" (leave the argument out for that); a blank id never gets here (kit/blank-ids.ts).
    exceptions: (_, { status, service, first, after }, { store }) => {
      // Names nothing any service is called: said so, not answered with an empty list.
      if (service != null && [...service].length > MAX_SERVICE_NAME) throw badInput(`service names are at most ${MAX_SERVICE_NAME} characters`, 'service');
      return store.list({ status, service: service == null ? service : notBlank(service, 'service') }, pageRequest('exceptions', { first, after }, 50));
    },
    pipelineException: (_, { id }, { store }) => store.get(id),
  },
  Mutation: {
    raiseException: (_, { input }, { store }) => store.raise(raiseInput(input)),
    closeException: (_, { input, resolution, because }, { store }) =>
      store.close(raiseInput(input), readableText(resolution, 'resolution', MAX_RESOLUTION), because === 'WAIT_OVER' ? 'RESOLVED' : 'CANCELLED'),
    retryException: (_, { id, note }, context) => resolveException(id, 'RETRY', actorOf(context, note), context.store, context.clients),
    cancelException: (_, { id, note }, context) => resolveException(id, 'CANCEL', actorOf(context, note), context.store, context.clients),
  },
  PipelineException: {
    id: (doc) => doc._id,
    reason: (doc, _, context) => reasonFor(doc, context),
    occurrences: (doc) => doc.occurrences.length,
    raisedAt: (doc) => doc.raisedAt.toISOString(),
    resolvedAt: (doc) => doc.resolvedAt?.toISOString() ?? null,
    resolution: (doc) => doc.resolution ?? null,
    resolvedBy: (doc) => doc.resolvedBy ?? null,
    note: (doc) => doc.note ?? null,
    order: (doc) => (doc.orderId ? { id: doc.orderId } : null),
  },
  Order: {
    __resolveReference: (ref) => ({ id: ref.id }),
    exceptions: (order, _, { exceptionsByOrder }) => exceptionsByOrder.load(order.id),
  },
};
