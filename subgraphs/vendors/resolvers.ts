import { ObjectId } from 'mongodb';
import { badInput, clientError, ErrorCode } from '../../kit/errors.ts';
import { parseId } from '../../kit/ids.ts';
import { isDuplicateKeyError } from '../../kit/mongo.ts';
import { pageRequest } from '../../kit/paging.ts';
import { checkedEmail, checkedLine } from '../../kit/storable-text.ts';
import { checkedCountry } from '../../pipeline/postal-address.ts';
import type { Resolvers } from './generated/resolvers-types.ts';

export const resolvers: Resolvers = {
  Query: {
    // A malformed id is the caller's mistake, not a vendor that does not exist.
    vendor: (_, { id }, { vendorById }) => vendorById.load(parseId(id, 'id').toHexString()),
    vendors: (_, { first, after }, { store }) => store.list(pageRequest('vendors', { first, after })),
  },
  Mutation: {
    addVendor: async (_, { input }, { store }) => {
      const name = checkedLine(input.name, 'name', 200);
      const country = checkedCountry(input.country);
      const contactEmail = checkedEmail(input.contactEmail, 'contactEmail');
      if (!Number.isInteger(input.leadTimeDays) || input.leadTimeDays < 0 || input.leadTimeDays > 365) {
        throw badInput('leadTimeDays must be between 0 and 365', 'leadTimeDays');
      }
      try {
        return await store.insert({ _id: new ObjectId(), name, country, contactEmail, leadTimeDays: input.leadTimeDays });
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        // A retry of the same add (its answer lost on the way) gets the vendor it added.
        const existing = await store.findByName(name);
        if (existing && existing.country === country && existing.contactEmail === contactEmail && existing.leadTimeDays === input.leadTimeDays) return existing;
        throw clientError(ErrorCode.CONFLICT, `a vendor named ${name} already exists, with other details`, { field: 'name' });
      }
    },
  },
  Vendor: {
    __resolveReference: (ref, { vendorById }) => vendorById.load(ref.id),
    id: (vendor) => vendor._id.toHexString(),
  },
};
