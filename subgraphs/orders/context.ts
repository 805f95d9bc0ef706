import { tryParseId } from '../../kit/ids.ts';
import { entityLoader } from '../../kit/loader.ts';
import type { Directory } from './dependencies.ts';
import type { OrderDoc, OrderStore } from './store.ts';

export interface Context {
  store: OrderStore;
  directory: Directory;
  orderById: ReturnType<typeof orderLoader>;
}

function orderLoader(store: OrderStore) {
  return entityLoader<string, OrderDoc>(
    (ids) => store.findByIds(ids.map(tryParseId).filter((id) => id !== null)),
    (order) => order._id.toHexString(),
  );
}

export const contextFactory = (directory: Directory) => (store: OrderStore): Context => ({
  store,
  directory,
  orderById: orderLoader(store),
});
