import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, projectRoot } from '../scripts/ferretdb.ts';
import { gql } from './harness.ts';

// `npm start` as a user runs it: the launcher builds/starts the embedded database,
// every service and the gateway. Runs on free ports and a temporary data folder.

const dataDir = mkdtempSync(join(tmpdir(), 'fulfilment-launcher-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function portsEnv() {
  const names = ['GATEWAY', 'CUSTOMERS', 'VENDORS', 'CATALOG', 'INVENTORY', 'ORDERS'];
  const env: Record<string, string> = {};
  for (const name of names) env[`${name}_PORT`] = String(await freePort());
  return env;
}

function launch(env: Record<string, string>) {
  const { MONGODB_URI: _ignored, ...base } = process.env;
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(projectRoot, 'scripts/start.ts')], {
    env: { ...base, ...env, FERRETDB_DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = async () => {
    const deadline = Date.now() + 120_000;
    while (!output.includes('The fulfilment graph is up')) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`launcher did not come up:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return { child, output: () => output, exited, ready };
}

async function interrupt(child: ChildProcess, exited: Promise<number | null>) {
  child.kill('SIGINT');
  return exited;
}

const customersQuery = `{ customers(first: 100) { email } vendors { name } products(first: 100) { sku } }`;

describe('npm start', () => {
  it('starts everything, prints the GraphiQL URL, loads demo data once, and stops cleanly on Ctrl-C', async () => {
    const env = await portsEnv();
    const gatewayUrl = `http://127.0.0.1:${env.GATEWAY_PORT}/graphql`;

    const first = launch(env);
    await first.ready();
    expect(first.output()).toContain(`GraphiQL:  http://localhost:${env.GATEWAY_PORT}/graphql`);
    expect(first.output()).toMatch(/database: FerretDB v1\.24\.2/);
    const before = await gql(gatewayUrl, customersQuery);
    expect(before.errors).toBeUndefined();
    expect(before.data!.customers.length).toBeGreaterThan(0);
    expect(await interrupt(first.child, first.exited)).toBe(0);
    expect(first.output()).toContain('[start] stopped');

    const second = launch(env);
    await second.ready();
    const after = await gql(gatewayUrl, customersQuery);
    expect(after.data).toEqual(before.data);
    expect(await interrupt(second.child, second.exited)).toBe(0);
  }, 240_000);

  it('refuses to start when a port is taken, and says which and what to do', async () => {
    const env = await portsEnv();
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(Number(env.CATALOG_PORT), '0.0.0.0', resolve));
    try {
      const run = launch(env);
      expect(await run.exited).toBe(1);
      expect(run.output()).toContain(`port ${env.CATALOG_PORT} (catalog) is already in use`);
      expect(run.output()).toContain(`CATALOG_PORT=`);
    } finally {
      blocker.close();
    }
  }, 60_000);
});
