import { badInput, clientError, ErrorCode } from '../../kit/errors.ts';
import { pageSize } from '../../kit/paging.ts';
import type { Resolvers } from './generated/resolvers-types.ts';
import { binItemId, stockLevel } from './store.ts';

const CODE = /^[A-Z0-9][A-Z0-9-]{0,39}$/;

export const resolvers: Resolvers = {
  Query: {
    binItems: (_, { sku, distributionCenter, first }, { store }) => store.search({ sku, distributionCenter }, pageSize(first, 50, 500)),
  },
  Mutation: {
    adjustStock: async (_, { input }, { store }) => {
      const sku = input.sku.trim().toUpperCase();
      const distributionCenter = input.distributionCenter.trim().toUpperCase();
      const bin = input.bin.trim().toUpperCase();
      for (const [field, value] of Object.entries({ sku, distributionCenter, bin })) {
        if (!CODE.test(value)) throw badInput(`${field} must be letters, digits or dashes`, field);
      }
      if (!Number.isInteger(input.delta) || input.delta === 0) throw badInput('delta must be a non-zero whole number', 'delta');
      if (input.delta > 0) return store.add({ sku, distributionCenter, bin }, input.delta);
      const updated = await store.remove(binItemId(distributionCenter, bin, sku), -input.delta);
      if (!updated) {
        throw clientError(ErrorCode.CONFLICT, `bin ${distributionCenter}/${bin} does not hold ${-input.delta} unreserved units of ${sku}`, { field: 'delta' });
      }
      return updated;
    },
  },
  Product: {
    __resolveReference: (ref) => ({ sku: ref.sku }),
    stock: async (product, _, { binItemsBySku }) => stockLevel(await binItemsBySku.load(product.sku)),
    binItems: (product, _, { binItemsBySku }) => binItemsBySku.load(product.sku),
  },
};
