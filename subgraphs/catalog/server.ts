import { buildSubgraph, loadSchema, type SubgraphDeps } from '../../kit/subgraph.ts';
import { createContext } from './context.ts';
import { resolvers } from './resolvers.ts';
import { seedProducts } from './seed.ts';
import { ProductStore } from './store.ts';

export const catalogSubgraph = {
  name: 'catalog',
  typeDefs: loadSchema(new URL('./schema.graphql', import.meta.url)),
  createStore: (db: SubgraphDeps['db']) => new ProductStore(db),
  resolvers,
  createContext,
  seed: seedProducts,
};

export const buildCatalogService = (deps: SubgraphDeps) => buildSubgraph(catalogSubgraph, deps);
