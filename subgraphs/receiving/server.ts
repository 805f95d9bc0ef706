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
  /** Where the catalog and vendors services listen (a receipt's sku and vendor are checked there); `<NAME>_URL` by default. */
  catalogUrl?: string;
  vendorsUrl?: string;
}

export async function buildReceivingService({ catalogUrl = serviceUrl('catalog'), vendorsUrl = serviceUrl('vendors'), ...deps }: ReceivingDeps) {
  const catalog = createGraphQLClient('catalog', catalogUrl, { credentials: serviceCredentials('receiving', deps.tokens), connections: 4 });
  const vendors = createGraphQLClient('vendors', vendorsUrl, { credentials: serviceCredentials('receiving', deps.tokens), connections: 4 });
  const built = await buildSubgraph(receivingSubgraph(graphqlDirectory(catalog, vendors)), deps);
  return { ...built, close: async () => void (await Promise.all([catalog.close(), vendors.close()])) };
}
