import type { ReceivingDirectory } from './dependencies.ts';
import type { ReceivingStore } from './store.ts';

export interface Context {
  store: ReceivingStore;
  directory: ReceivingDirectory;
}

export const contextFactory = (directory: ReceivingDirectory) => (store: ReceivingStore): Context => ({ store, directory });
