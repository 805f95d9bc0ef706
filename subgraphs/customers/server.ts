import type { Db } from 'mongodb';
import type { Logger } from '../../kit/logger.ts';
import { createSubgraphApp, loadSchema } from '../../kit/subgraph.ts';
import { createContext } from './context.ts';
import { resolvers } from './resolvers.ts';
import { seedCustomers } from './seed.ts';
import { CustomerStore } from './store.ts';

export const typeDefs = loadSchema(new URL('./schema.graphql', import.meta.url));

export async function buildCustomersService({ db, logger, isDev = true }: { db: Db; logger: Logger; isDev?: boolean }) {
  const store = new CustomerStore(db);
  await store.ensureIndexes();
  const app = createSubgraphApp({ name: 'customers', typeDefs, resolvers, logger, isDev, context: () => createContext(store) });
  return { app, store, handler: app, seed: () => seedCustomers(store) };
}
