import DataLoader from 'dataloader';
import { entityLoader } from '../../kit/loader.ts';
import type { BinItemDoc, InventoryStore, ReservationDoc, StockLevel } from './store.ts';
import { groupBy } from '../../kit/group.ts';

/** The catalog's products, as inventory may ask about them. */
export interface Products {
  exists(sku: string): Promise<boolean>;
}

export interface Context {
  store: InventoryStore;
  products: Products;
  binItemsBySku: DataLoader<string, BinItemDoc[]>;
  /** A sku's stock as `Product.stock` shows it: read at most once a second (`InventoryStore.recentStock`). */
  stockBySku: DataLoader<string, StockLevel>;
  reservationById: DataLoader<string, ReservationDoc | null, string>;
}

/** Every bin item of many skus in one query. */
function binItemsLoader(store: InventoryStore) {
  return new DataLoader<string, BinItemDoc[]>(async (skus) => {
    const bySku = groupBy(await store.findBySkus(skus), (item) => item.sku);
    return skus.map((sku) => bySku.get(sku) ?? []);
  });
}

export const contextFactory = (products: Products) => (store: InventoryStore): Context => ({
  store,
  products,
  binItemsBySku: binItemsLoader(store),
  stockBySku: new DataLoader((skus) => store.recentStock.get(skus)),
  reservationById: entityLoader<string, ReservationDoc>((ids) => store.reservationsFor(ids), (reservation) => reservation._id),
});
