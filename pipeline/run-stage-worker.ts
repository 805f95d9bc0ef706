import type { Db } from 'mongodb';
import { serviceCredentials } from '../kit/auth/tokens.ts';
import { hearServiceDoorbell } from '../kit/doorbell.ts';
import type { Logger } from '../kit/logger.ts';
import { runService } from '../kit/service.ts';
import { serviceClients, serviceUrl, type ServiceClients, type ServiceName } from './services.ts';

/**
 * What every stage's run-worker.ts does: connect to the stage's own database, make sure
 * its indexes exist, start the worker with clients for the services it hands work to,
 * listen to the service's doorbell, and stop all of it cleanly on SIGINT/SIGTERM.
 */
export function runStageWorker<S extends { ensureIndexes(): Promise<void> }, E = undefined>(
  service: ServiceName,
  /** `clients`: those the worker gets too, for a store that calls another service itself. */
  createStore: (db: Db, clients: ServiceClients) => S,
  start: (store: S, clients: ServiceClients, logger: Logger, env: E) => { stop(): Promise<void> },
  parseOwnEnv?: () => E,
): Promise<void> {
  return runService(
    service,
    0,
    async ({ db, logger, env, tokens }) => {
      const credentials = serviceCredentials(service, tokens);
      const clients = serviceClients(credentials);
      const store = createStore(db, clients);
      await store.ensureIndexes();
      // Work the service's subgraph stores wakes this process's workers at once.
      const doorbell = hearServiceDoorbell(serviceUrl(service), credentials, logger);
      const worker = start(store, clients, logger, env);
      return {
        close: async () => {
          doorbell.stop();
          await worker.stop();
          await clients.close();
        },
      };
    },
    parseOwnEnv,
    'worker',
  );
}
