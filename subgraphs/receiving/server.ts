import { serviceCredentials } from '../../kit/auth/tokens.ts';
import { createGraphQLClient } from '../../kit/graphql-client.ts';
import { buildSubgraph, loadSchema, type SubgraphDeps } from '../../kit/subgraph.ts';
import { serviceUrl } from '../../pipeline/services.ts';
import { contextFactory } from './context.ts';
import { graphqlDirectory, type ReceivingDirectory } from './dependencies.ts';
import { resolvers } from './resolvers.ts';
import { ReceivingStore } from './store.ts';

export const receivingSubgraph = (directory: ReceivingDirectory) => ({
  name: 'receiving',
  typeDefs: loadSchema(new URL('./schema.graphql', import.meta.url)),
  createStore: (db: SubgraphDeps['db']) => new ReceivingStore(db),
  resolvers,
  createContext: contextFactory(directory),
});

export interface ReceivingDeps extends SubgraphDeps {
  /** Where the catalog, vendors, orders and inventory services listen (a receipt's sku, vendor, return and bin are checked there); `<NAME>_URL` by default. */
  catalogUrl?: string;
  vendorsUrl?: string;
  ordersUrl?: string;
  inventoryUrl?: string;
}

export async function buildReceivingService({ catalogUrl = serviceUrl('catalog'), vendorsUrl = serviceUrl('vendors'), ordersUrl = serviceUrl('orders'), inventoryUrl = serviceUrl('inventory'), ...deps }: ReceivingDeps) {
  const credentials = serviceCredentials('receiving', deps.tokens);
  const catalog = createGraphQLClient('catalog', catalogUrl, { credentials, connections: 4 });
  const vendors = createGraphQLClient('vendors', vendorsUrl, { credentials, connections: 4 });
  const orders = createGraphQLClient('orders', ordersUrl, { credentials, connections: 2 });
  const inventory = createGraphQLClient('inventory', inventoryUrl, { credentials, connections: 2 });
  const built = await buildSubgraph(receivingSubgraph(graphqlDirectory(catalog, vendors, orders, inventory)), deps);
  return { ...built, close: async () => void (await Promise.all([catalog.close(), vendors.close(), orders.close(), inventory.close()])) };
}
