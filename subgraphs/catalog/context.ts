import DataLoader from 'dataloader';
import { tryParseId } from '../../kit/ids.ts';
import { entityLoader } from '../../kit/loader.ts';
import type { Connection, PageRequest } from '../../kit/paging.ts';
import type { ProductDoc, ProductStore } from './store.ts';

/** The vendors service, as catalog sees it: a product must name a vendor that exists. */
export interface VendorDirectory {
  exists(id: string): Promise<boolean>;
}

export interface Context {
  store: ProductStore;
  vendors: VendorDirectory;
  productBySku: ReturnType<typeof productLoader>;
  productsByVendor: DataLoader<VendorPage, Connection<ProductDoc>, string>;
}

export interface VendorPage {
  vendorId: string;
  page: PageRequest;
}

function productLoader(store: ProductStore) {
  return entityLoader<string, ProductDoc>((skus) => store.findBySkus(skus), (product) => product._id);
}

/**
 * Many vendors' products for one `_entities` batch. One `$in` query cannot bound each
 * vendor's share (no per-group limit on FerretDB), so this runs one indexed, bounded
 * query per distinct vendor and page, all at once.
 */
function vendorProductsLoader(store: ProductStore) {
  return new DataLoader<VendorPage, Connection<ProductDoc>, string>(
    (keys) => Promise.all(keys.map(({ vendorId, page }) => store.listByVendor(tryParseId(vendorId), page))),
    { cacheKeyFn: ({ vendorId, page }) => JSON.stringify([vendorId, page.first, page.after]) },
  );
}

export function createContext(store: ProductStore, vendors: VendorDirectory): Context {
  return { store, vendors, productBySku: productLoader(store), productsByVendor: vendorProductsLoader(store) };
}
