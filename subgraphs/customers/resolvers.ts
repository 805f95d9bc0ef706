import { ObjectId } from 'mongodb';
import { badInput, clientError, ErrorCode, notFound } from '../../kit/errors.ts';
import { parseId } from '../../kit/ids.ts';
import { pageSize } from '../../kit/paging.ts';
import { isDuplicateKeyError } from '../../kit/mongo.ts';
import { isExpired, tokeniseCard } from './cards.ts';
import type { Resolvers } from './generated/resolvers-types.ts';
import type { AddressDoc, CustomerDoc } from './store.ts';

export const resolvers: Resolvers = {
  Query: {
    // A malformed id is the caller's mistake, not a customer that does not exist.
    customer: (_, { id }, { customerById }) => customerById.load(parseId(id, 'id').toHexString()),
    customers: (_, { first }, { store }) => store.list(pageSize(first)),
  },
  Mutation: {
    addCustomer: async (_, { input }, { store }) => {
      const name = input.name.trim();
      if (!name) throw badInput('name must not be empty', 'name');
      const email = input.email.trim().toLowerCase();
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) throw badInput(`"${input.email}" is not an email address`, 'email');
      const customer: CustomerDoc = {
        _id: new ObjectId(),
        name,
        email,
        homeRegion: input.homeRegion,
        addresses: input.address ? [toAddress(input.address)] : [],
        paymentMethods: [],
        createdAt: new Date(),
        version: 0,
      };
      try {
        return await store.insert(customer);
      } catch (error) {
        if (isDuplicateKeyError(error)) throw clientError(ErrorCode.CONFLICT, `a customer with email ${email} already exists`, { field: 'email' });
        throw error;
      }
    },
    addAddress: async (_, { customerId, input }, { store }) => {
      const address = toAddress(input);
      const updated = await store.pushAddress(parseId(customerId, 'customerId'), address);
      if (!updated) throw notFound(`no customer with id ${customerId}`);
      return updated;
    },
    addPaymentMethod: async (_, { customerId, input }, { store }) => {
      const id = parseId(customerId, 'customerId');
      const method = tokeniseCard(input);
      const updated = await store.pushPaymentMethod(id, method);
      if (!updated) throw notFound(`no customer with id ${customerId}`);
      return updated;
    },
  },
  Customer: {
    __resolveReference: (ref, { customerById }) => customerById.load(ref.id),
    id: (customer) => customer._id.toHexString(),
    createdAt: (customer) => customer.createdAt.toISOString(),
  },
  PaymentMethod: {
    expired: (method) => isExpired(method.expMonth, method.expYear),
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
