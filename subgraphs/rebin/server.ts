import { buildSubgraph, loadSchema, type SubgraphDeps } from '../../kit/subgraph.ts';
import { createContext } from './context.ts';
import { resolvers } from './resolvers.ts';
import { RebinStore } from './store.ts';

export const rebinSubgraph = {
  name: 'rebin',
  typeDefs: loadSchema(new URL('./schema.graphql', import.meta.url)),
  createStore: (db: SubgraphDeps['db']) => new RebinStore(db),
  resolvers,
  createContext,
};

export const buildRebinService = (deps: SubgraphDeps) => buildSubgraph(rebinSubgraph, deps);
