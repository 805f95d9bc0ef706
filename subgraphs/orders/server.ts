import { createGraphQLClient } from '../../kit/graphql-client.ts';
import { buildSubgraph, loadSchema, type SubgraphDeps } from '../../kit/subgraph.ts';
import { contextFactory } from './context.ts';
import { graphqlDirectory, type Directory } from './dependencies.ts';
import { resolvers } from './resolvers.ts';
import { OrderStore } from './store.ts';

const typeDefs = loadSchema(new URL('./schema.graphql', import.meta.url));

export const ordersSubgraph = (directory: Directory) => ({
  name: 'orders',
  typeDefs,
  createStore: (db: SubgraphDeps['db']) => new OrderStore(db),
  resolvers,
  createContext: contextFactory(directory),
});

export interface OrdersDeps extends SubgraphDeps {
  customersUrl: string;
  catalogUrl: string;
}

/** The orders service, wired to the customers and catalog services by URL. */
export async function buildOrdersService({ customersUrl, catalogUrl, ...deps }: OrdersDeps) {
  const customers = createGraphQLClient('customers', customersUrl);
  const catalog = createGraphQLClient('catalog', catalogUrl);
  const built = await buildSubgraph(ordersSubgraph(graphqlDirectory(customers, catalog)), deps);
  return {
    ...built,
    close: async () => {
      await Promise.all([customers.close(), catalog.close()]);
    },
  };
}
