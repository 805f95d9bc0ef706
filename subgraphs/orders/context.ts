import type DataLoader from 'dataloader';
import { objectIdLoader } from '../../kit/loader.ts';
import type { Directory } from './dependencies.ts';
import type { OrderDoc, OrderStore } from './store.ts';

export interface Context {
  store: OrderStore;
  directory: Directory;
  orderById: DataLoader<string, OrderDoc | null, string>;
}

export const contextFactory = (directory: Directory) => (store: OrderStore): Context => ({
  store,
  directory,
  orderById: objectIdLoader((ids) => store.findByIds(ids)),
});
