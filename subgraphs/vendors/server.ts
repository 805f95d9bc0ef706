import { buildSubgraph, loadSchema, type SubgraphDeps } from '../../kit/subgraph.ts';
import { createContext } from './context.ts';
import { resolvers } from './resolvers.ts';
import { seedVendors } from './seed.ts';
import { VendorStore } from './store.ts';

export const vendorsSubgraph = {
  name: 'vendors',
  typeDefs: loadSchema(new URL('./schema.graphql', import.meta.url)),
  createStore: (db: SubgraphDeps['db']) => new VendorStore(db),
  resolvers,
  createContext,
  seed: seedVendors,
};

export const buildVendorsService = (deps: SubgraphDeps) => buildSubgraph(vendorsSubgraph, deps);
