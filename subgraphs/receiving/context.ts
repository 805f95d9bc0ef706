import type { ReceivingStore } from './store.ts';

export interface Context {
  store: ReceivingStore;
}

export const createContext = (store: ReceivingStore): Context => ({ store });
