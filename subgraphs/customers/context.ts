import { entityLoader } from '../../kit/loader.ts';
import { tryParseId } from '../../kit/ids.ts';
import type { CustomerDoc, CustomerStore } from './store.ts';

export interface Context {
  store: CustomerStore;
  customerById: ReturnType<typeof customerLoader>;
}

function customerLoader(store: CustomerStore) {
  return entityLoader<string, CustomerDoc>(
    (ids) => store.findByIds(ids.map(tryParseId).filter((id) => id !== null)),
    (customer) => customer._id.toHexString(),
  );
}

export function createContext(store: CustomerStore): Context {
  return { store, customerById: customerLoader(store) };
}
