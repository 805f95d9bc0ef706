import { serviceCredentials } from '../../kit/auth/tokens.ts';
import { buildSubgraph, loadSchema, type SubgraphDeps } from '../../kit/subgraph.ts';
import { startLoop } from '../../kit/loop.ts';
import { exceptionsOldestOpenAge, exceptionsOpen, onScrape } from '../../kit/metrics.ts';
import { sharedRead } from '../../kit/shared-read.ts';
import { finishStaleClaims } from './actions.ts';
import { serviceClients, type ServiceClients } from '../../pipeline/services.ts';
import { contextFactory } from './context.ts';
import { resolvers } from './resolvers.ts';
import { ExceptionStore } from './store.ts';

/** Longer than any call to an owning service may take (its client times out after 5 s). */
const STALE_CLAIM_MS = 30_000;

const typeDefs = loadSchema(new URL('./schema.graphql', import.meta.url));

/** How often /metrics counts the open exceptions (a count of every open one; scrapes come every few seconds). */
const OPEN_COUNTED_EVERY_MS = 30_000;

/**
 * exceptions_open and exceptions_oldest_open_age_seconds at scrape (observability/alerts.yml's
 * ExceptionsWaiting), counted at most every 30 s. Each scrape still asks the database something
 * (one lookup by id), so that the last count is shown only while it answers: on a database that
 * hangs, every scrape meanwhile says the figures are unknown. A count under way is waited for.
 */
function observeOpenExceptions(store: ExceptionStore, database: string): () => void {
  const figures = sharedRead(() => store.openFigures(), OPEN_COUNTED_EVERY_MS);
  return onScrape(`exceptions/open/${database}`, {
    read: async () => {
      await store.answers();
      const { open, oldestRaisedAt } = await figures();
      return () => {
        exceptionsOpen.set({ database }, open);
        exceptionsOldestOpenAge.set({ database }, oldestRaisedAt ? (Date.now() - oldestRaisedAt.getTime()) / 1000 : 0);
      };
    },
    forget: () => {
      exceptionsOpen.remove({ database });
      exceptionsOldestOpenAge.remove({ database });
    },
  });
}

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
  const stopObserving = observeOpenExceptions(built.store, deps.db.databaseName);
  return {
    ...built,
    /** Carries out claims older than `staleAfterMs` now (tests; the background pass does it every few seconds). */
    finishStaleClaims: (staleAfterMs: number) => finishStaleClaims(built.store, clients, deps.logger, staleAfterMs),
    close: async () => {
      stopObserving();
      await sweep.stop();
      await ownClients?.close();
    },
  };
}
