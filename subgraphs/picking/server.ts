import { buildSubgraph, loadSchema, type SubgraphDeps } from '../../kit/subgraph.ts';
import { createContext } from './context.ts';
import { resolvers } from './resolvers.ts';
import { PickingStore } from './store.ts';

export const pickingSubgraph = {
  name: 'picking',
  typeDefs: loadSchema(new URL('./schema.graphql', import.meta.url)),
  createStore: (db: SubgraphDeps['db']) => new PickingStore(db),
  resolvers,
  createContext,
};

export const buildPickingService = (deps: SubgraphDeps) => buildSubgraph(pickingSubgraph, deps);
