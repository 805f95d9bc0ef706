import DataLoader from 'dataloader';
import { tryParseId } from '../../kit/ids.ts';
import { entityLoader } from '../../kit/loader.ts';
import type { ProductDoc, ProductStore } from './store.ts';

export interface Context {
  store: ProductStore;
  productBySku: ReturnType<typeof productLoader>;
  productsByVendor: DataLoader<string, ProductDoc[]>;
}

function productLoader(store: ProductStore) {
  return entityLoader<string, ProductDoc>((skus) => store.findBySkus(skus), (product) => product._id);
}

/** All products of many vendors in one query. */
function vendorProductsLoader(store: ProductStore) {
  return new DataLoader<string, ProductDoc[]>(async (vendorIds) => {
    const products = await store.findByVendors(vendorIds.map(tryParseId).filter((id) => id !== null));
    return vendorIds.map((id) => products.filter((product) => product.vendorId.toHexString() === id));
  });
}

export function createContext(store: ProductStore): Context {
  return { store, productBySku: productLoader(store), productsByVendor: vendorProductsLoader(store) };
}
