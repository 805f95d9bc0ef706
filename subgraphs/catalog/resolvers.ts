import { checkedCurrency } from '../../kit/currency.ts';
import { badInput, clientError, ErrorCode, notFound } from '../../kit/errors.ts';
import { parseId } from '../../kit/ids.ts';
import { isDuplicateKeyError } from '../../kit/mongo.ts';
import { pageRequest } from '../../kit/paging.ts';
import { checkedLine, notBlank, readableText } from '../../kit/storable-text.ts';
import { asCode } from '../../pipeline/bin-location.ts';
import type { Resolvers } from './generated/resolvers-types.ts';
import type { ProductDoc } from './store.ts';

export const SKU_PATTERN = /^[A-Z0-9][A-Z0-9-]{1,39}$/;

/** A price as stored: whole minor units, zero or more, of an upper-case ISO 4217 currency. */
function parsePrice(input: { amount: number; currency: string }): ProductDoc['price'] {
  if (!Number.isInteger(input.amount) || input.amount < 0) throw badInput('price.amount must be a whole number of minor units, zero or more', 'price.amount');
  return { amount: input.amount, currency: checkedCurrency(input.currency, 'price.currency') };
}

/**
 * A sku to look up, as stored. An empty one is a mistake (a form sent before it was filled in),
 * not a product that does not exist. Any other is looked up as given: a sku that could not be
 * added today may belong to a product added before the pattern did.
 */
function skuToFind(value: string, field: string): string {
  return notBlank(asCode(value), field);
}

export const resolvers: Resolvers = {
  Query: {
    product: (_, { sku }, { productBySku }) => productBySku.load(skuToFind(sku, 'sku')),
    products: async (_, { skus, first, after }, { store, productBySku }) => {
      const page = pageRequest('products', { first, after });
      if (!skus) return store.list(page);
      if (skus.length > 100) throw badInput('at most 100 skus at a time', 'skus');
      const found = await productBySku.loadMany(skus.map((sku) => skuToFind(sku, 'skus')));
      // loadMany puts a failed lookup's error in the product's place: a database that did not
      // answer must not read as "no such product" (placeOrder would refuse the sku for good).
      const failed = found.find((product) => product instanceof Error);
      if (failed) throw failed;
      return store.pageOf(found.filter((p): p is ProductDoc => p !== null && !(p instanceof Error)), page);
    },
  },
  Mutation: {
    addProduct: async (_, { input }, { store, vendorNames }) => {
      const sku = asCode(input.sku);
      if (!SKU_PATTERN.test(sku)) throw badInput('sku must be 2 to 40 letters, digits or dashes', 'sku');
      // The title travels with the product's lines into picklists and onto shipments' labels.
      const title = checkedLine(input.title, 'title', 200);
      const description = input.description?.trim() ? readableText(input.description, 'description', 5_000) : '';
      const price = parsePrice(input.price);
      if (!Number.isInteger(input.weightGrams) || input.weightGrams <= 0) throw badInput('weightGrams must be positive', 'weightGrams');
      const product: ProductDoc = {
        _id: sku,
        title,
        description,
        price,
        weightGrams: input.weightGrams,
        vendorId: parseId(input.vendorId, 'vendorId'),
      };
      const vendorName = await vendorNames.load(product.vendorId.toHexString());
      if (vendorName === null) throw notFound(`no vendor ${input.vendorId}`, { field: 'vendorId' });
      product.vendorName = vendorName;
      try {
        return await store.insert(product);
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        // A retry of the same add (its answer lost on the way) gets the product it added.
        const [existing] = await store.findBySkus([sku]);
        if (existing && sameProduct(existing, product)) return existing;
        throw clientError(ErrorCode.CONFLICT, `a product with sku ${sku} already exists, with other details (change its price with changePrice)`, { field: 'sku' });
      }
    },
    changePrice: async (_, { sku, price }, { store }) => {
      const key = asCode(sku);
      if (!SKU_PATTERN.test(key)) throw badInput('sku must be 2 to 40 letters, digits or dashes', 'sku');
      const changed = await store.setPrice(key, parsePrice(price));
      if (!changed) throw notFound(`no product ${key}`, { field: 'sku' });
      // Every line of an order is priced in one currency: a product does not change currency.
      if (changed === 'currency') throw badInput(`a price change keeps the product's currency; ${key} is not priced in ${price.currency.trim().toUpperCase()}`, 'price.currency');
      return changed;
    },
  },
  Product: {
    // A reference carries a sku as stored; one without a usable sku is refused before this runs (kit/blank-ids.ts).
    __resolveReference: (ref, { productBySku }) => productBySku.load(asCode(ref.sku)),
    sku: (product) => product._id,
    // Named from the product (schema: @provides), so a composed query asks vendors nothing; a
    // product stored before catalog kept the name asks vendors, and, when it cannot, has no vendor.
    vendor: async (product, _, { vendorNames }) => {
      const id = product.vendorId.toHexString();
      const name = product.vendorName ?? (await vendorNames.load(id));
      return name === null ? null : { id, name };
    },
  },
  Vendor: {
    __resolveReference: (ref) => ({ id: ref.id }),
    products: (vendor, { first, after }, { productsByVendor }) => productsByVendor.load({ vendorId: vendor.id, page: pageRequest('products', { first, after }) }),
  },
};

/** Whether an add would have stored exactly this product. */
function sameProduct(a: ProductDoc, b: ProductDoc): boolean {
  return (
    a.title === b.title &&
    a.description === b.description &&
    a.price.amount === b.price.amount &&
    a.price.currency === b.price.currency &&
    a.weightGrams === b.weightGrams &&
    a.vendorId.equals(b.vendorId)
  );
}
