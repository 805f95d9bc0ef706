import { buildSubgraph, loadSchema, type SubgraphDeps } from '../../kit/subgraph.ts';
import { createContext } from './context.ts';
import { resolvers } from './resolvers.ts';
import { seedInventory } from './seed.ts';
import { InventoryStore } from './store.ts';

export const inventorySubgraph = {
  name: 'inventory',
  typeDefs: loadSchema(new URL('./schema.graphql', import.meta.url)),
  createStore: (db: SubgraphDeps['db']) => new InventoryStore(db),
  resolvers,
  createContext,
  seed: seedInventory,
};

export const buildInventoryService = (deps: SubgraphDeps) => buildSubgraph(inventorySubgraph, deps);
