import DataLoader from 'dataloader';
import { entityLoader } from '../../kit/loader.ts';
import type { BinItemDoc, InventoryStore, ReservationDoc } from './store.ts';
import { groupBy } from '../../kit/group.ts';

export interface Context {
  store: InventoryStore;
  binItemsBySku: DataLoader<string, BinItemDoc[]>;
  reservationById: DataLoader<string, ReservationDoc | null, string>;
}

/** Every bin item of many skus in one query. */
function binItemsLoader(store: InventoryStore) {
  return new DataLoader<string, BinItemDoc[]>(async (skus) => {
    const bySku = groupBy(await store.findBySkus(skus), (item) => item.sku);
    return skus.map((sku) => bySku.get(sku) ?? []);
  });
}

export function createContext(store: InventoryStore): Context {
  return {
    store,
    binItemsBySku: binItemsLoader(store),
    reservationById: entityLoader<string, ReservationDoc>((ids) => store.reservationsFor(ids), (reservation) => reservation._id),
  };
}
