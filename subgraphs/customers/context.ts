import type DataLoader from 'dataloader';
import { objectIdLoader } from '../../kit/loader.ts';
import type { CustomerDoc, CustomerStore } from './store.ts';

export interface Context {
  store: CustomerStore;
  customerById: DataLoader<string, CustomerDoc | null, string>;
}

export function createContext(store: CustomerStore): Context {
  return { store, customerById: objectIdLoader((ids) => store.findByIds(ids)) };
}
