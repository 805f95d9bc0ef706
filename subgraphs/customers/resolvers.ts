import { forbidden, hasScope } from '../../kit/auth/identity.ts';
import { assertCalledBy, assertMayAccess, identityOf } from '../../kit/auth/ownership.ts';
import { ObjectId } from 'mongodb';
import { badInput } from '../../kit/errors.ts';
import { parseId } from '../../kit/ids.ts';
import { pageRequest, pageSize } from '../../kit/paging.ts';
import { isExpired, tokeniseCard } from './cards.ts';
import type { Context } from './context.ts';
import type { Resolvers } from './generated/resolvers-types.ts';
import { replicaServiceName } from './replication.ts';
import { regionCodes, type RegionCode } from './store.ts';
import { checkedAddress, checkedCustomer, creationAddressId, fromWire, keyedId, newWriteId } from './writes.ts';

// Every mutation is a write command with its ids chosen here, applied through this
// process's copy of the domain: at once on the home copy, via home at a regional replica.

/** The regions whose replicas may call a copy in region `own` (home's): every other. */
const replicaRegions = (own: RegionCode) => regionCodes.filter((region) => region !== own);

/** A service reads a customer to act on it (an order's card); anyone else is shown one, which may be a second old (CustomersCopy.shownByIds). */
const customerFor = (context: Context) => (hasScope(identityOf(context), 'service') ? context.customerById : context.shownCustomerById);

export const resolvers: Resolvers = {
  Query: {
    // A malformed id is the caller's mistake, not a customer that does not exist.
    customer: (_, { id }, context) => {
      const customerId = parseId(id, 'id').toHexString();
      assertMayAccess(context, { customerId }, `customer ${id}`);
      return customerFor(context).load(customerId);
    },
    customers: (_, { first, after }, { copy }) => copy.list(pageRequest('customers', { first, after })),
    replicationStatus: (_, __, { copy }) => copy.status(),
    replicationLog: (_, { after, first }, context) => {
      const { copy } = context;
      // Every customer's record, cards' tokens included: for the replicas alone, not any service.
      assertCalledBy(context, replicaRegions(copy.region).map(replicaServiceName), 'read the replication log');
      if (after < 0) throw badInput('after must not be negative', 'after');
      return copy.readLog(after, pageSize(first, 100, 500));
    },
  },
  Mutation: {
    addCustomer: async (_, { input, idempotencyKey }, context) => {
      const { copy } = context;
      const { name, email } = checkedCustomer(input);
      const customerId = keyedId(idempotencyKey, identityOf(context).subject, 'customer') ?? new ObjectId().toHexString();
      const addresses = input.address ? [checkedAddress({ ...input.address, id: creationAddressId(customerId) })] : [];
      const at = new Date();
      return copy.write({ writeId: newWriteId(), region: copy.region, kind: 'ADD_CUSTOMER', customerId, at, customer: { name, email, homeRegion: input.homeRegion, createdAt: at, addresses } });
    },
    addAddress: async (_, { customerId: given, input, idempotencyKey }, context) => {
      const { copy } = context;
      const customerId = parseId(given, 'customerId').toHexString();
      assertMayAccess(context, { customerId }, `customer ${given}`);
      const address = checkedAddress({ ...input, id: keyedId(idempotencyKey, customerId, 'address') ?? new ObjectId().toHexString() });
      return copy.write({ writeId: newWriteId(), region: copy.region, kind: 'ADD_ADDRESS', customerId, at: new Date(), address });
    },
    addPaymentMethod: async (_, { customerId: given, input, idempotencyKey }, context) => {
      const { copy } = context;
      const customerId = parseId(given, 'customerId').toHexString();
      assertMayAccess(context, { customerId }, `customer ${given}`);
      const keyed = keyedId(idempotencyKey, customerId, 'paymentMethod');
      // Tokenised here, in the region that received the number; only the token travels.
      const card = tokeniseCard(input);
      const paymentMethod = keyed ? { ...card, id: keyed } : card;
      return copy.write({ writeId: newWriteId(), region: copy.region, kind: 'ADD_PAYMENT_METHOD', customerId, at: new Date(), paymentMethod });
    },
    applyWrites: async (_, { region, writes }, context) => {
      const { copy } = context;
      // A write of any customer, card tokens included, in the name of the region it was made in: only that region's replica forwards it.
      if (!replicaRegions(copy.region).includes(region)) throw forbidden(`No replica forwards writes made in region ${region}: it is this copy's own region.`);
      assertCalledBy(context, [replicaServiceName(region)], `forward writes made in region ${region}`);
      if (writes.length > 500) throw badInput('at most 500 writes at once', 'writes');
      // Every write is checked before any is applied: bad input writes nothing.
      const checked = writes.map((wire) => fromWire(wire, region));
      return copy.applyWrites(region, checked);
    },
  },
  Customer: {
    __resolveReference: (ref, context) => {
      assertMayAccess(context, { customerId: ref.id }, `customer ${ref.id}`);
      return customerFor(context).load(ref.id);
    },
    id: (customer) => customer._id.toHexString(),
    createdAt: (customer) => customer.createdAt.toISOString(),
    version: (customer) => customer.version ?? 0,
    replicatedAt: (customer) => customer.replicatedAt?.toISOString() ?? null,
    unconfirmedWrites: (customer) => customer.unconfirmedWrites ?? 0,
  },
  PaymentMethod: {
    expired: (method) => isExpired(method.expMonth, method.expYear),
  },
  ReplicationStatus: {
    lastContactAt: (status) => status.lastContactAt?.toISOString() ?? null,
  },
  ReplicationLogPage: {
    headAt: (page) => page.headAt?.toISOString() ?? null,
  },
  ReplicationEntry: {
    at: (entry) => entry.at.toISOString(),
  },
  WriteOutcome: {
    code: (outcome) => (outcome.status === 'REJECTED' ? outcome.code : null),
    field: (outcome) => (outcome.status === 'REJECTED' ? (outcome.field ?? null) : null),
    message: (outcome) => (outcome.status === 'REJECTED' ? outcome.message : null),
    customer: (outcome) => (outcome.status === 'APPLIED' ? outcome.customer : null),
  },
};
