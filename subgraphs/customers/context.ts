import type DataLoader from 'dataloader';
import { objectIdLoader } from '../../kit/loader.ts';
import type { CustomersCopy } from './replication.ts';
import type { CustomerDoc, CustomerStore } from './store.ts';

export interface Context {
  store: CustomerStore;
  customerById: DataLoader<string, CustomerDoc | null, string>;
  /** As `customerById`, for what a client is shown (CustomersCopy.shownByIds). */
  shownCustomerById: DataLoader<string, CustomerDoc | null, string>;
  /** This process's copy of the domain: home, or a regional replica. Every write goes through it. */
  copy: CustomersCopy;
}

export function createContext(store: CustomerStore, copy: CustomersCopy): Context {
  return { store, customerById: objectIdLoader((ids) => copy.findByIds(ids)), shownCustomerById: objectIdLoader((ids) => copy.shownByIds(ids)), copy };
}
