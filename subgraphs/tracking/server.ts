import { buildSubgraph, loadSchema, type SubgraphDeps } from '../../kit/subgraph.ts';
import { createContext } from './context.ts';
import { resolvers } from './resolvers.ts';
import { TrackingStore } from './store.ts';

const typeDefs = loadSchema(new URL('./schema.graphql', import.meta.url));

/** The tracking store: every node's state transitions, and what they say about the pipeline. */
export const buildTrackingService = (deps: SubgraphDeps & { warehouseDbName?: string }) =>
  buildSubgraph({ name: 'tracking', typeDefs, createStore: (db) => new TrackingStore(db, deps.warehouseDbName), resolvers, createContext }, deps);
