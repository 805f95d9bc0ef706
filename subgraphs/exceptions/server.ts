import { buildSubgraph, loadSchema, type SubgraphDeps } from '../../kit/subgraph.ts';
import { serviceClients, type ServiceClients } from '../../pipeline/services.ts';
import { contextFactory } from './context.ts';
import { resolvers } from './resolvers.ts';
import { ExceptionStore } from './store.ts';

const typeDefs = loadSchema(new URL('./schema.graphql', import.meta.url));

/** Where failed elements wait for a person, who retries or cancels them through the graph. */
export async function buildExceptionsService(deps: SubgraphDeps & { clients?: ServiceClients }) {
  const ownClients = deps.clients ? undefined : serviceClients();
  const clients = deps.clients ?? ownClients!;
  const built = await buildSubgraph(
    { name: 'exceptions', typeDefs, createStore: (db) => new ExceptionStore(db), resolvers, createContext: contextFactory(clients) },
    deps,
  );
  return { ...built, close: async () => ownClients?.close() };
}
