import { serviceCredentials } from '../../kit/auth/tokens.ts';
import { createGraphQLClient } from '../../kit/graphql-client.ts';
import { buildSubgraph, loadSchema, type SubgraphDeps } from '../../kit/subgraph.ts';
import { productExists } from '../../pipeline/catalog-products.ts';
import { serviceUrl } from '../../pipeline/services.ts';
import { contextFactory, type Products } from './context.ts';
import { resolvers } from './resolvers.ts';
import { seedInventory } from './seed.ts';
import { InventoryStore } from './store.ts';

export const inventorySubgraph = (products: Products) => ({
  name: 'inventory',
  typeDefs: loadSchema(new URL('./schema.graphql', import.meta.url)),
  createStore: (db: SubgraphDeps['db']) => new InventoryStore(db),
  resolvers,
  createContext: contextFactory(products),
  seed: seedInventory,
});

export interface InventoryDeps extends SubgraphDeps {
  /** Where the catalog listens (stock added by hand must be of a sku it knows); `CATALOG_URL` by default. */
  catalogUrl?: string;
}

export async function buildInventoryService({ catalogUrl = serviceUrl('catalog'), ...deps }: InventoryDeps) {
  const catalog = createGraphQLClient('catalog', catalogUrl, { credentials: serviceCredentials('inventory', deps.tokens), connections: 2 });
  const built = await buildSubgraph(inventorySubgraph({ exists: (sku) => productExists(catalog, sku) }), deps);
  return { ...built, close: () => catalog.close() };
}
