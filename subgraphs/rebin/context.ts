import type { RebinStore } from './store.ts';

export interface Context {
  store: RebinStore;
}

export const createContext = (store: RebinStore): Context => ({ store });
