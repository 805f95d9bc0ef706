import DataLoader from 'dataloader';
import { objectIdLoader } from '../../kit/loader.ts';
import type { Directory } from './dependencies.ts';
import type { OrderDoc, OrderStore } from './store.ts';

export interface Context {
  store: OrderStore;
  directory: Directory;
  orderById: DataLoader<string, OrderDoc | null, string>;
  ordersByCustomer: DataLoader<string, OrderDoc[]>;
}

/** A customer's most recent orders (the page size's upper bound). */
const MAX_ORDERS_PER_CUSTOMER = 100;

/**
 * Many customers' orders for one `_entities` batch. One `$in` query cannot bound each
 * customer's share (no per-group limit on FerretDB), so this runs one indexed,
 * bounded query per distinct customer, all at once.
 */
function customerOrdersLoader(store: OrderStore) {
  return new DataLoader<string, OrderDoc[]>((customerIds) =>
    Promise.all(customerIds.map((customerId) => store.list({ customerId }, MAX_ORDERS_PER_CUSTOMER))),
  );
}

export const contextFactory = (directory: Directory) => (store: OrderStore): Context => ({
  store,
  directory,
  orderById: objectIdLoader((ids) => store.findByIds(ids)),
  ordersByCustomer: customerOrdersLoader(store),
});
