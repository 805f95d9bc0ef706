import { afterAll, beforeAll } from 'vitest';
import { serve, silentLogger, testTokens, TestDatabases, type RunningApp } from '../../test/harness.ts';
import { buildExceptionsService } from './server.ts';
import type { ExceptionStore } from './store.ts';

/**
 * The exceptions service for one test file, on a database of its own (`name`) and a free port:
 * started before the file's tests, stopped and its database dropped after them. Read `url` and
 * `store` inside a test.
 */
export function exceptionsServiceForTests(name: string): { readonly url: string; readonly store: ExceptionStore } {
  const dbs = new TestDatabases();
  let service: Awaited<ReturnType<typeof buildExceptionsService>> | undefined;
  let app: RunningApp | undefined;
  beforeAll(async () => {
    service = await buildExceptionsService({ db: await dbs.create(name), logger: silentLogger, tokens: testTokens });
    app = await serve(service.handler);
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
    await dbs.cleanup();
  });
  return {
    get url() {
      return app!.url;
    },
    get store() {
      return service!.store;
    },
  };
}
