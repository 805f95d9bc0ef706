import { buildSubgraph, loadSchema, type SubgraphDeps } from '../../kit/subgraph.ts';
import { createContext } from './context.ts';
import { resolvers } from './resolvers.ts';
import { ReceivingStore } from './store.ts';

export const receivingSubgraph = {
  name: 'receiving',
  typeDefs: loadSchema(new URL('./schema.graphql', import.meta.url)),
  createStore: (db: SubgraphDeps['db']) => new ReceivingStore(db),
  resolvers,
  createContext,
};

export const buildReceivingService = (deps: SubgraphDeps) => buildSubgraph(receivingSubgraph, deps);
