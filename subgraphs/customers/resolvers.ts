import { ObjectId } from 'mongodb';
import { badInput } from '../../kit/errors.ts';
import { parseId } from '../../kit/ids.ts';
import { pageSize } from '../../kit/paging.ts';
import { isExpired, tokeniseCard } from './cards.ts';
import type { Resolvers } from './generated/resolvers-types.ts';
import type { AddressDoc } from './store.ts';
import { fromWire, newWriteId } from './writes.ts';

// Every mutation is a write command with its ids chosen here, applied through this
// process's copy of the domain: at once on the home copy, via home at a regional replica.

export const resolvers: Resolvers = {
  Query: {
    // A malformed id is the caller's mistake, not a customer that does not exist.
    customer: (_, { id }, { customerById }) => customerById.load(parseId(id, 'id').toHexString()),
    customers: (_, { first }, { store }) => store.list(pageSize(first)),
    replicationStatus: (_, __, { copy }) => copy.status(),
    replicationLog: (_, { after, first }, { copy }) => {
      if (after < 0) throw badInput('after must not be negative', 'after');
      return copy.readLog(after, pageSize(first, 100, 500));
    },
  },
  Mutation: {
    addCustomer: async (_, { input }, { copy }) => {
      const name = input.name.trim();
      if (!name) throw badInput('name must not be empty', 'name');
      const email = input.email.trim().toLowerCase();
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) throw badInput(`"${input.email}" is not an email address`, 'email');
      const at = new Date();
      const addresses = input.address ? [toAddress(input.address)] : [];
      const customerId = new ObjectId().toHexString();
      return copy.write({ writeId: newWriteId(), region: copy.region, kind: 'ADD_CUSTOMER', customerId, at, customer: { name, email, homeRegion: input.homeRegion, createdAt: at, addresses } });
    },
    addAddress: async (_, { customerId, input }, { copy }) => {
      parseId(customerId, 'customerId');
      const address = toAddress(input);
      return copy.write({ writeId: newWriteId(), region: copy.region, kind: 'ADD_ADDRESS', customerId, at: new Date(), address });
    },
    addPaymentMethod: async (_, { customerId, input }, { copy }) => {
      parseId(customerId, 'customerId');
      // Tokenised here, in the region that received the number; only the token travels.
      const paymentMethod = tokeniseCard(input);
      return copy.write({ writeId: newWriteId(), region: copy.region, kind: 'ADD_PAYMENT_METHOD', customerId, at: new Date(), paymentMethod });
    },
    applyWrites: async (_, { region, writes }, { copy }) => {
      if (writes.length > 500) throw badInput('at most 500 writes at once', 'writes');
      // Every write is checked before any is applied: bad input writes nothing.
      const checked = writes.map((wire) => fromWire(wire, region));
      return copy.applyWrites(region, checked);
    },
  },
  Customer: {
    __resolveReference: (ref, { customerById }) => customerById.load(ref.id),
    id: (customer) => customer._id.toHexString(),
    createdAt: (customer) => customer.createdAt.toISOString(),
    version: (customer) => customer.version ?? 0,
    replicatedAt: (customer) => customer.replicatedAt?.toISOString() ?? null,
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
    message: (outcome) => (outcome.status === 'REJECTED' ? outcome.message : null),
    customer: (outcome) => (outcome.status === 'APPLIED' ? outcome.customer : null),
  },
};

function toAddress(input: Omit<AddressDoc, 'id'>): AddressDoc {
  const required = { line1: input.line1, city: input.city, postalCode: input.postalCode } as const;
  for (const [field, value] of Object.entries(required)) {
    if (!value.trim()) throw badInput(`${field} must not be empty`, field);
  }
  const country = input.country.trim().toUpperCase();
  if (!/^[A-Z]{2}$/.test(country)) throw badInput('country must be a two-letter ISO 3166 code, for example GB', 'country');
  return {
    id: new ObjectId().toHexString(),
    line1: input.line1.trim(),
    line2: input.line2?.trim() || null,
    city: input.city.trim(),
    postalCode: input.postalCode.trim(),
    country,
  };
}
