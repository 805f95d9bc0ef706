import DataLoader from 'dataloader';
import { objectIdLoader } from '../../kit/loader.ts';
import type { Logger } from '../../kit/logger.ts';
import type { StageClients } from './address-changes.ts';
import type { Directory } from './dependencies.ts';
import type { OrderDoc, OrderStore } from './store.ts';

export interface Context {
  store: OrderStore;
  directory: Directory;
  /** The stages a synchronous address change calls. */
  stages: StageClients;
  logger: Logger;
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

export const contextFactory = (directory: Directory, stages: StageClients, logger: Logger) => (store: OrderStore): Context => ({
  store,
  directory,
  stages,
  logger,
  orderById: objectIdLoader((ids) => store.findByIds(ids)),
  ordersByCustomer: customerOrdersLoader(store),
});
