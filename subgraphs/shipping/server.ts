import { buildSubgraph, loadSchema, type SubgraphDeps } from '../../kit/subgraph.ts';
import { createContext } from './context.ts';
import { resolvers } from './resolvers.ts';
import { ShippingStore } from './store.ts';

export const shippingSubgraph = {
  name: 'shipping',
  typeDefs: loadSchema(new URL('./schema.graphql', import.meta.url)),
  createStore: (db: SubgraphDeps['db']) => new ShippingStore(db),
  resolvers,
  createContext,
};

export const buildShippingService = (deps: SubgraphDeps) => buildSubgraph(shippingSubgraph, deps);
