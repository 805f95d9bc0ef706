import type { Db } from 'mongodb';
import { serviceCredentials } from '../kit/auth/tokens.ts';
import type { Logger } from '../kit/logger.ts';
import { runService } from '../kit/service.ts';
import { serviceClients, type ServiceClients } from './services.ts';

/**
 * What every stage's run-worker.ts does: connect to the stage's own database, make sure
 * its indexes exist, start the worker with clients for the services it hands work to,
 * and stop both cleanly on SIGINT/SIGTERM.
 */
export function runStageWorker<S extends { ensureIndexes(): Promise<void> }, E = undefined>(
  service: string,
  createStore: (db: Db) => S,
  start: (store: S, clients: ServiceClients, logger: Logger, env: E) => { stop(): Promise<void> },
  parseOwnEnv?: () => E,
): Promise<void> {
  return runService(
    service,
    0,
    async ({ db, logger, env, tokens }) => {
      const store = createStore(db);
      await store.ensureIndexes();
      const clients = serviceClients(serviceCredentials(service, tokens));
      const worker = start(store, clients, logger, env);
      return {
        close: async () => {
          await worker.stop();
          await clients.close();
        },
      };
    },
    parseOwnEnv,
    'worker',
  );
}
