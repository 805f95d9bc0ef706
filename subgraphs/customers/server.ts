import { buildSubgraph, loadSchema, type SubgraphDeps } from '../../kit/subgraph.ts';
import { createContext } from './context.ts';
import { resolvers } from './resolvers.ts';
import { seedCustomers } from './seed.ts';
import { CustomerStore } from './store.ts';

export const customersSubgraph = {
  name: 'customers',
  typeDefs: loadSchema(new URL('./schema.graphql', import.meta.url)),
  createStore: (db: SubgraphDeps['db']) => new CustomerStore(db),
  resolvers,
  createContext,
  seed: seedCustomers,
};

export const buildCustomersService = (deps: SubgraphDeps) => buildSubgraph(customersSubgraph, deps);
