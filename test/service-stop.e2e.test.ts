import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it, inject } from 'vitest';
import { freePort, projectRoot } from '../scripts/ferretdb.ts';
import { hangableProxyTo } from './hangable-proxy.ts';
import { eventually, testSecrets, TestDatabases } from './harness.ts';

// A process asked to stop (Ctrl-C through the launcher, a deploy) must exit within the
// launcher's 5 s grace even when its database hangs: a worker's poll in flight on a database
// that never answers used to hold the stop for 37 s, until the driver gave up on the server.

const dbs = new TestDatabases();
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await dbs.cleanup();
});

function run(entry: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), `${projectRoot}/${entry}`], {
    env: { ...process.env, INTERNAL_AUTH_SECRET: testSecrets.internal, LOG_LEVEL: 'error', HOST: '127.0.0.1', OTEL_EXPORTER_OTLP_ENDPOINT: '', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  return child;
}

describe('a service asked to stop while its database hangs', () => {
  it('a worker exits cleanly within the launcher grace, leaving its poll in flight', async () => {
    const proxy = await hangableProxyTo(inject('mongoUri'));
    try {
      const port = await freePort();
      const db = await dbs.create('payments');
      const worker = run('subgraphs/payments/run-worker.ts', { MONGODB_URI: proxy.uri, METRICS_PORT: String(port), PAYMENTS_DB_NAME: db.databaseName });
      const ready = () => fetch(`http://127.0.0.1:${port}/ready`).then((response) => response.status, () => 0);
      await eventually(ready, (status) => status === 200, 60_000);
      proxy.hang();
      // Its next polls (about one a second while idle) are now waiting on the hung database.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      const asked = Date.now();
      worker.kill('SIGTERM');
      const code = await new Promise<number | null>((resolve) => worker.once('exit', resolve));
      expect(code).toBe(0);
      expect(Date.now() - asked).toBeLessThan(4_500);
    } finally {
      proxy.close();
    }
  }, 90_000);
});
