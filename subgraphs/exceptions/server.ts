import { serviceCredentials } from '../../kit/auth/tokens.ts';
import { buildSubgraph, loadSchema, type SubgraphDeps } from '../../kit/subgraph.ts';
import { startLoop } from '../../kit/loop.ts';
import { finishStaleClaims } from './actions.ts';
import { serviceClients, type ServiceClients } from '../../pipeline/services.ts';
import { contextFactory } from './context.ts';
import { resolvers } from './resolvers.ts';
import { ExceptionStore } from './store.ts';

/** Longer than any call to an owning service may take (its client times out after 5 s). */
const STALE_CLAIM_MS = 30_000;

const typeDefs = loadSchema(new URL('./schema.graphql', import.meta.url));

/** Where failed elements wait for a person, who retries or cancels them through the graph. */
export async function buildExceptionsService(deps: SubgraphDeps & { clients?: ServiceClients }) {
  const ownClients = deps.clients ? undefined : serviceClients(serviceCredentials('exceptions', deps.tokens));
  const clients = deps.clients ?? ownClients!;
  const built = await buildSubgraph(
    { name: 'exceptions', typeDefs, createStore: (db) => new ExceptionStore(db), resolvers, createContext: contextFactory(clients) },
    deps,
  );
  // Claims a dead process left behind are carried out in the background.
  const sweep = startLoop(async () => void (await finishStaleClaims(built.store, clients, deps.logger, STALE_CLAIM_MS)), {
    intervalMs: 5_000,
    logger: deps.logger,
    what: 'finishing claimed exception actions',
  });
  return {
    ...built,
    /** Carries out claims older than `staleAfterMs` now (tests; the background pass does it every few seconds). */
    finishStaleClaims: (staleAfterMs: number) => finishStaleClaims(built.store, clients, deps.logger, staleAfterMs),
    close: async () => {
      await sweep.stop();
      await ownClients?.close();
    },
  };
}
