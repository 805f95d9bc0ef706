import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { freePort, projectRoot } from '../scripts/ferretdb.ts';
import { eventually, testCredentials, testSecrets, TestDatabases } from './harness.ts';
import { scrape } from './prometheus.ts';

// The processes as `npm start` and docker-compose run them: a service exports its spans over
// OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT, and a worker serves /health, /ready and /metrics on METRICS_PORT.
const dbs = new TestDatabases();
const children: ChildProcess[] = [];
let sink: Server | undefined;
afterAll(async () => {
  for (const child of children) {
    child.kill('SIGTERM');
    if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
  }
  sink?.close();
  await dbs.cleanup();
});

function run(entry: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), `${projectRoot}/${entry}`], {
    env: { ...process.env, MONGODB_URI: inject('mongoUri'), INTERNAL_AUTH_SECRET: testSecrets.internal, LOG_LEVEL: 'error', HOST: '127.0.0.1', OTEL_EXPORTER_OTLP_ENDPOINT: '', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  return child;
}

const answers = (url: string) => () => fetch(url).then((response) => response.status, () => 0);

describe('a process started as in production', () => {
  it('exports spans over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT, named after the service', async () => {
    const received: { path: string; body: string }[] = [];
    sink = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        received.push({ path: request.url ?? '', body });
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => sink!.listen(0, '127.0.0.1', resolve));
    const port = await freePort();
    const db = await dbs.create('vendors');
    run('subgraphs/vendors/index.ts', {
      PORT: String(port),
      VENDORS_DB_NAME: db.databaseName,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(sink.address() as AddressInfo).port}`,
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    await eventually(answers(`http://127.0.0.1:${port}/ready`), (status) => status === 200, 60_000);
    const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: await testCredentials('test').authorization() },
      body: JSON.stringify({ query: 'query ListVendors { vendors(first: 1) { edges { node { id } } } }' }),
    });
    expect(response.status).toBe(200);
    const exported = await eventually(
      async () => received.filter((request) => request.path === '/v1/traces'),
      (requests) => requests.some((request) => request.body.includes('graphql ListVendors')),
    );
    const body = exported.map((request) => request.body).join('\n');
    expect(body).toContain('"service.name"');
    expect(body).toContain('"vendors"');
    expect(body).toContain('mongodb find');
  });

  it('serves /health, /ready and /metrics from a worker on METRICS_PORT, on loopback only by default', async () => {
    const port = await freePort();
    const db = await dbs.create('payments');
    run('subgraphs/payments/run-worker.ts', { METRICS_PORT: String(port), PAYMENTS_DB_NAME: db.databaseName, HOST: '0.0.0.0' });
    await eventually(answers(`http://127.0.0.1:${port}/ready`), (status) => status === 200, 60_000);
    expect(await (await fetch(`http://127.0.0.1:${port}/health`)).json()).toEqual({ status: 'alive' });
    const metrics = await scrape(`http://127.0.0.1:${port}/`);
    expect(metrics.get('queue_depth')?.metrics.some((sample) => sample.labels.queue === 'charges' && sample.labels.database === db.databaseName)).toBe(true);
    expect(metrics.has('process_cpu_seconds_total')).toBe(true);
    // On loopback only (METRICS_HOST), though the worker's HOST is every interface: the machine's
    // other addresses do not answer.
    const external = Object.values(networkInterfaces())
      .flat()
      .find((address) => address?.family === 'IPv4' && !address.internal)?.address;
    if (external) await expect(fetch(`http://${external}:${port}/health`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
  });
});
