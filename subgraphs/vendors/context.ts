import type DataLoader from 'dataloader';
import { objectIdLoader } from '../../kit/loader.ts';
import type { VendorDoc, VendorStore } from './store.ts';

export interface Context {
  store: VendorStore;
  vendorById: DataLoader<string, VendorDoc | null, string>;
}

export function createContext(store: VendorStore): Context {
  return { store, vendorById: objectIdLoader((ids) => store.findByIds(ids)) };
}
