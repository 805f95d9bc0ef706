import { serve, silentLogger, testTokens, type RunningApp, type TestDatabases } from '../../test/harness.ts';
import { buildOrdersService } from './server.ts';
import type { OrderStore } from './store.ts';

/**
 * The orders service on a fresh database of its own, served on a free port, for tests that
 * need no other service: the customers and catalog URLs point where nothing answers.
 */
export async function startOrdersServiceAlone(dbs: TestDatabases, dbName: string): Promise<{ app: RunningApp; store: OrderStore; close(): Promise<void> }> {
  const unused = 'http://127.0.0.1:9/graphql'; // never called by these tests
  const service = await buildOrdersService({ db: await dbs.create(dbName), logger: silentLogger, tokens: testTokens, customersUrl: unused, catalogUrl: unused });
  const app = await serve(service.handler);
  return {
    app,
    store: service.store,
    async close() {
      await app.close();
      await service.close();
    },
  };
}
