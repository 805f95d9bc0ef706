import DataLoader from 'dataloader';
import { tryParseId } from '../../kit/ids.ts';
import { entityLoader } from '../../kit/loader.ts';
import type { Connection, PageRequest } from '../../kit/paging.ts';
import type { ProductDoc, ProductStore } from './store.ts';

/** The vendors service, as catalog sees it: a product must name a vendor that exists, and is kept with its name. */
export interface VendorDirectory {
  /** Each vendor's name, by id (lower-case hex); a vendor that does not exist is left out. */
  namesOf(ids: readonly string[]): Promise<Map<string, string>>;
}

export interface Context {
  store: ProductStore;
  productBySku: ReturnType<typeof productLoader>;
  productsByVendor: DataLoader<VendorPage, Connection<ProductDoc>, string>;
  /** Vendors' names (a new product's vendor; those of products stored without one), asked of vendors in one request per batch; null for no such vendor. */
  vendorNames: DataLoader<string, string | null>;
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

function vendorNamesLoader(vendors: VendorDirectory) {
  return new DataLoader<string, string | null>(async (ids) => {
    const names = await vendors.namesOf(ids);
    return ids.map((id) => names.get(id) ?? null);
  });
}

export function createContext(store: ProductStore, vendors: VendorDirectory): Context {
  return { store, productBySku: productLoader(store), productsByVendor: vendorProductsLoader(store), vendorNames: vendorNamesLoader(vendors) };
}
