import DataLoader from 'dataloader';
import { tryParseId } from '../../kit/ids.ts';
import { entityLoader } from '../../kit/loader.ts';
import type { ProductDoc, ProductStore } from './store.ts';

/** The vendors service, as catalog sees it: a product must name a vendor that exists. */
export interface VendorDirectory {
  exists(id: string): Promise<boolean>;
}

export interface Context {
  store: ProductStore;
  vendors: VendorDirectory;
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

export function createContext(store: ProductStore, vendors: VendorDirectory): Context {
  return { store, vendors, productBySku: productLoader(store), productsByVendor: vendorProductsLoader(store) };
}
