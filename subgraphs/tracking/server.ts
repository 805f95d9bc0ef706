import { buildSubgraph, loadSchema, type SubgraphDeps } from '../../kit/subgraph.ts';
import { createContext } from './context.ts';
import { resolvers } from './resolvers.ts';
import { TrackingStore } from './store.ts';

export const trackingSubgraph = {
  name: 'tracking',
  typeDefs: loadSchema(new URL('./schema.graphql', import.meta.url)),
  createStore: (db: SubgraphDeps['db']) => new TrackingStore(db),
  resolvers,
  createContext,
};

/** The tracking store: every node's state transitions, and what they say about the pipeline. */
export const buildTrackingService = (deps: SubgraphDeps) => buildSubgraph(trackingSubgraph, deps);
