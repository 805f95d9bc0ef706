import DataLoader from 'dataloader';
import { objectIdLoader } from '../../kit/loader.ts';
import type { InternalTokens } from '../../kit/auth/tokens.ts';
import type { Logger } from '../../kit/logger.ts';
import type { Connection, PageRequest } from '../../kit/paging.ts';
import type { ShippingCountries } from '../../pipeline/postal-address.ts';
import type { StageClients } from './address-changes.ts';
import type { Directory } from './dependencies.ts';
import type { OrderDoc, OrderStore } from './store.ts';

export interface Context {
  store: OrderStore;
  directory: Directory;
  /** The stages a synchronous address change calls. */
  stages: StageClients;
  logger: Logger;
  /** Signs tracking links (Order.trackingToken). */
  tokens: InternalTokens;
  /** The countries orders ship to (SHIPPING_COUNTRIES); null: every one. */
  shippingCountries: ShippingCountries;
  orderById: DataLoader<string, OrderDoc | null, string>;
  /**
   * Orders by id, a customer's own only: the database leaves another customer's out, so it reads
   * as no order and takes no longer to say so (an order read and then refused did, by a millisecond).
   */
  ownOrderById: (customerId: string) => DataLoader<string, OrderDoc | null, string>;
  ordersByCustomer: DataLoader<CustomerPage, Connection<OrderDoc>, string>;
}

export interface CustomerPage {
  customerId: string;
  page: PageRequest;
}

/**
 * Many customers' orders for one `_entities` batch. One `$in` query cannot bound each
 * customer's share (no per-group limit on FerretDB), so this runs one indexed,
 * bounded query per distinct customer and page, all at once.
 */
function customerOrdersLoader(store: OrderStore) {
  return new DataLoader<CustomerPage, Connection<OrderDoc>, string>(
    (keys) => Promise.all(keys.map(({ customerId, page }) => store.list({ customerId }, page))),
    { cacheKeyFn: ({ customerId, page }) => JSON.stringify([customerId, page.first, page.after]) },
  );
}

export const contextFactory = (directory: Directory, stages: StageClients, logger: Logger, tokens: InternalTokens, shippingCountries: ShippingCountries) => (store: OrderStore): Context => ({
  store,
  directory,
  stages,
  logger,
  tokens,
  shippingCountries,
  orderById: objectIdLoader((ids) => store.findByIds(ids)),
  ownOrderById: memo((customerId) => objectIdLoader((ids) => store.findByIds(ids, customerId))),
  ordersByCustomer: customerOrdersLoader(store),
});

/** One value per key, made on first use (one loader per customer within a request). */
function memo<V>(make: (key: string) => V): (key: string) => V {
  const made = new Map<string, V>();
  return (key) => {
    let value = made.get(key);
    if (value === undefined) made.set(key, (value = make(key)));
    return value;
  };
}
