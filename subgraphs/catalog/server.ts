import { serviceCredentials } from '../../kit/auth/tokens.ts';
import { createGraphQLClient, type GraphQLClient } from '../../kit/graphql-client.ts';
import { buildSubgraph, loadSchema, type SubgraphDeps } from '../../kit/subgraph.ts';
import { serviceUrl } from '../../pipeline/services.ts';
import { createContext, type VendorDirectory } from './context.ts';
import { resolvers } from './resolvers.ts';
import { seedProducts } from './seed.ts';
import { ProductStore } from './store.ts';

export const catalogSubgraph = (vendors: VendorDirectory) => ({
  name: 'catalog',
  typeDefs: loadSchema(new URL('./schema.graphql', import.meta.url)),
  createStore: (db: SubgraphDeps['db']) => new ProductStore(db),
  resolvers,
  createContext: (store: ProductStore) => createContext(store, vendors),
  seed: seedProducts,
});

const vendorNamesQuery = /* GraphQL */ `query ProductVendors($vendors: [_Any!]!) { _entities(representations: $vendors) { ... on Vendor { id name } } }`;

/** Asks the vendors service, through its GraphQL interface, for vendors' names: one request for many. */
export const graphqlVendors = (client: GraphQLClient): VendorDirectory => ({
  namesOf: async (ids) => {
    const { _entities: found } = await client.request<{ _entities: ({ id: string; name: string } | null)[] }>(vendorNamesQuery, {
      vendors: ids.map((id) => ({ __typename: 'Vendor', id })),
    });
    return new Map(found.flatMap((vendor) => (vendor ? [[vendor.id.toLowerCase(), vendor.name] as const] : [])));
  },
});

export interface CatalogDeps extends SubgraphDeps {
  /** Where the vendors service listens (a new product's vendor is checked there); VENDORS_URL by default. */
  vendorsUrl?: string;
}

export async function buildCatalogService({ vendorsUrl = serviceUrl('vendors'), ...deps }: CatalogDeps) {
  const vendors = createGraphQLClient('vendors', vendorsUrl, { credentials: serviceCredentials('catalog', deps.tokens), connections: 4 });
  const built = await buildSubgraph(catalogSubgraph(graphqlVendors(vendors)), deps);
  return { ...built, close: () => vendors.close() };
}
