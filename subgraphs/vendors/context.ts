import { tryParseId } from '../../kit/ids.ts';
import { entityLoader } from '../../kit/loader.ts';
import type { VendorDoc, VendorStore } from './store.ts';

export interface Context {
  store: VendorStore;
  vendorById: ReturnType<typeof vendorLoader>;
}

function vendorLoader(store: VendorStore) {
  return entityLoader<string, VendorDoc>(
    (ids) => store.findByIds(ids.map(tryParseId).filter((id) => id !== null)),
    (vendor) => vendor._id.toHexString(),
  );
}

export function createContext(store: VendorStore): Context {
  return { store, vendorById: vendorLoader(store) };
}
