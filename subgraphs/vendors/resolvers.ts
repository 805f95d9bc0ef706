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
      // Spaces run together are one (a name is told apart from others with them so: nameKey).
      const name = checkedLine(input.name, 'name', 200).replace(/\s+/g, ' ');
      const country = checkedCountry(input.country);
      const contactEmail = checkedEmail(input.contactEmail, 'contactEmail');
      if (!Number.isInteger(input.leadTimeDays) || input.leadTimeDays < 0 || input.leadTimeDays > 365) {
        throw badInput('leadTimeDays must be between 0 and 365', 'leadTimeDays');
      }
      const vendor = { _id: new ObjectId(), name, country, contactEmail, leadTimeDays: input.leadTimeDays };
      // The name first (a unique key: of two adds at once, one takes it), letter case aside.
      const holder = await store.claimName(name, vendor._id);
      let existing = holder.equals(vendor._id) ? null : (await store.findByIds([holder]))[0];
      if (existing === null || existing === undefined) {
        // Ours, or claimed by an add that died before it stored its vendor, which this one stores.
        try {
          return await store.insert({ ...vendor, _id: holder });
        } catch (error) {
          if (!isDuplicateKeyError(error)) throw error;
          existing = (await store.findByIds([holder]))[0];
          if (!existing) throw clientError(ErrorCode.CONFLICT, `a vendor named ${name} already exists`, { field: 'name' });
        }
      }
      // A retry of the same add (its answer lost on the way), however the name's letters were cased, gets the vendor it added.
      if (existing.country === country && existing.contactEmail === contactEmail && existing.leadTimeDays === input.leadTimeDays) return existing;
      throw clientError(ErrorCode.CONFLICT, `a vendor named ${existing.name} already exists, with other details`, { field: 'name' });
    },
  },
  Vendor: {
    __resolveReference: (ref, { vendorById }) => vendorById.load(ref.id),
    id: (vendor) => vendor._id.toHexString(),
  },
};
