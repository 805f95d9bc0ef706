import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { subgraphNames } from '../gateway/subgraphs.ts';
import { databaseProcessesOf, embeddedHandler, freePort, isRunning, killDatabaseOf, projectRoot } from '../scripts/ferretdb.ts';
import { demo } from '../subgraphs/demo-data.ts';
import { eventually, gql } from './harness.ts';
import { threadNiceness } from './niceness.ts';

// `npm start` as a user runs it: the launcher builds/starts the embedded database,
// every service and the gateway. Runs on free ports and a temporary data folder.

const dataDir = mkdtempSync(join(tmpdir(), 'fulfilment-launcher-'));
const lockFile = join(dataDir, 'npm-start.lock');

// Each launcher runs in a process group of its own, so that killing the group also ends what it
// started (FerretDB, services) even when the launcher cannot clean up. Every test kills its
// launchers' groups when it ends, passed or failed; a Ctrl-C on the test run, which no longer
// reaches those groups, is passed on to them.
const running = new Set<ChildProcess>();
function killGroups() {
  for (const child of running) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // the whole group has exited already
    }
  }
  running.clear();
  // The database runs in groups of its own, out of reach of the group kill.
  killDatabaseOf(dataDir);
}
const relaySignal = (signal: NodeJS.Signals) => {
  killGroups();
  process.kill(process.pid, signal);
};
process.once('SIGINT', relaySignal);
process.once('SIGTERM', relaySignal);
process.once('exit', killGroups);
afterEach(killGroups);
afterAll(() => {
  process.off('SIGINT', relaySignal);
  process.off('SIGTERM', relaySignal);
  rmSync(dataDir, { recursive: true, force: true });
});

async function portsEnv() {
  const env: Record<string, string> = { GATEWAY_PORT: String(await freePort()) };
  for (const name of subgraphNames) env[`${name.toUpperCase()}_PORT`] = String(await freePort());
  return env;
}

function launch(env: Record<string, string>) {
  // What in the developer's own environment would point the launcher elsewhere.
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/MONGODB_URI$|^FERRETDB_PORT$|^WORKER_NICE$/.test(key)));
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(projectRoot, 'scripts/start.ts')], {
    env: { ...base, FERRETDB_DATA_DIR: dataDir, ...env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  running.add(child);
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
  /** The port of the FerretDB this launcher started, from what it printed. */
  const databasePort = () => {
    const match = /database: FerretDB .*? at mongodb:\/\/127\.0\.0\.1:(\d+)\//.exec(output);
    if (!match) throw new Error(`the launcher did not say where its database is:\n${output}`);
    return Number(match[1]);
  };
  return { child, output: () => output, exited, ready, databasePort };
}

/** Ctrl-C in the launcher's terminal: SIGINT to its whole process group, as a terminal sends it. */
async function interrupt(child: ChildProcess, exited: Promise<number | null>) {
  process.kill(-child.pid!, 'SIGINT');
  return exited;
}

async function until(check: () => Promise<boolean>, withinMs: number, what: string) {
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not in time: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function listening(ports: number[]) {
  const open = await Promise.all(ports.map(accepting));
  return ports.filter((_, i) => open[i]);
}

const customersQuery = `{ customers(first: 100) { edges { node { email } } } vendors { edges { node { name } } } products(first: 100) { edges { node { sku } } } }`;

describe('npm start', () => {
  it('starts everything, prints the GraphiQL URL, loads demo data once, keeps a second launcher off its data folder, starts a killed database again, and stops cleanly on Ctrl-C', async () => {
    const env: Record<string, string> = { ...(await portsEnv()), CUSTOMERS_UK_PORT: String(await freePort()), GATEWAY_UK_PORT: String(await freePort()) };
    const gatewayUrl = `http://127.0.0.1:${env.GATEWAY_PORT}/graphql`;

    const first = launch({ ...env, CUSTOMERS_REPLICAS: 'uk' });
    await first.ready();
    expect(first.output()).toContain(`GraphiQL:  http://localhost:${env.GATEWAY_PORT}/graphql`);
    expect(first.output()).toMatch(/database: FerretDB v1\.24\.2/);
    // It prints a support token and one for the demo customer Ada, signed with the secret it generated.
    const support = /support:\s+(\S+)/.exec(first.output())?.[1];
    const ada = /Ada \(customer \w+\):\s+(\S+)/.exec(first.output())?.[1];
    expect(support && ada).toBeTruthy();
    expect((await gql(gatewayUrl, customersQuery, {}, { token: null })).status).toBe(401);
    const own = await gql(gatewayUrl, `{ customer(id: "${demo.customers.ada}") { name } orders { edges { node { id } } } }`, {}, { token: ada });
    expect(own.errors).toBeUndefined();
    expect(own.data!.customer.name).toBe('Ada Lovelace');
    // A region's staff use its gateway, with the same tokens: the same graph, its customers from the region's copy.
    expect(first.output()).toContain(`customers-uk :${env.CUSTOMERS_UK_PORT} through http://localhost:${env.GATEWAY_UK_PORT}/graphql`);
    const regional = await eventually(
      () => gql(`http://127.0.0.1:${env.GATEWAY_UK_PORT}/graphql`, `{ replicationStatus { region role } customer(id: "${demo.customers.ada}") { name } }`, {}, { token: support }),
      (response) => response.data?.customer?.name === 'Ada Lovelace',
    );
    expect(regional.data!.replicationStatus).toEqual({ region: 'UK', role: 'REPLICA' });
    const before = await gql(gatewayUrl, customersQuery, {}, { token: support });
    expect(before.errors).toBeUndefined();
    expect(before.data!.customers.edges.length).toBeGreaterThan(0);

    // Another launcher, on ports of its own, must not open the same database files.
    const rival = launch(await portsEnv());
    expect(await rival.exited).toBe(1);
    expect(rival.output()).toContain(`another npm start (pid ${first.child.pid}) is using ${dataDir}; stop it or set FERRETDB_DATA_DIR`);
    expect(rival.output()).not.toContain('database: FerretDB');
    expect((await gql(gatewayUrl, customersQuery, {}, { token: support })).data).toEqual(before.data);

    // The banner says where each worker's metrics are, and they answer there.
    // In the banner, or printed later for a worker not up by then (the newest, after a restart).
    const workerMetrics = [...new Map([...first.output().matchAll(/(\w+)-worker-1(?: metrics: http:\/\/localhost:| :)(\d+)/g)].map((match) => [match[1]!, Number(match[2])] as const))];
    expect(workerMetrics.map(([stage]) => stage)).toContain('orders');
    for (const [stage, port] of workerMetrics) {
      const response = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('queue_');
      // Each worker hears its service's doorbell: work stored there wakes it at once.
      await eventually(async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text(), (text) => text.includes(`doorbell_hearing{service="${stage}"} 1`), 10_000);
    }

    // The workers yield the cores to the services clients wait on (scripts/priority.ts): every
    // thread of theirs runs 10 nice levels below the launcher, the services as the launcher.
    const lastPid = (pattern: RegExp) => Number([...first.output().matchAll(pattern)].map((match) => match[1] ?? match[2]).at(-1));
    const workerThreads = threadNiceness(lastPid(/starting orders-worker-1 \(pid (\d+)\)|orders-worker-1 is running again \(pid (\d+)/g));
    expect(new Set(workerThreads)).toEqual(new Set([Math.min(19, getPriority() + 10)]));
    expect(new Set(threadNiceness(lastPid(/orders is (?:up|running again) \(pid (\d+)/g)))).toEqual(new Set([getPriority()]));

    // The gateways' metrics (the main one's and the region's): on the ports the banner names, not on their public ones.
    const metricsLine = first.output().match(/ {2}Metrics: .*/)![0];
    const gatewayMetricsPort = Number(metricsLine.match(/ gateway :(\d+)/)?.[1]);
    const ukGatewayMetricsPort = Number(metricsLine.match(/ gateway-uk :(\d+)/)?.[1]);
    for (const port of [gatewayMetricsPort, ukGatewayMetricsPort]) {
      expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toContain('graphql_requests_total');
    }
    expect(gatewayMetricsPort).not.toBe(ukGatewayMetricsPort);
    expect((await fetch(new URL('/metrics', gatewayUrl))).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${env.GATEWAY_UK_PORT}/metrics`)).status).toBe(404);

    const ports = [first.databasePort(), ...Object.values(env).map(Number), ...workerMetrics.map(([, port]) => port), gatewayMetricsPort, ukGatewayMetricsPort];
    expect(await listening(ports)).toEqual(ports);
    expect(await interrupt(first.child, first.exited)).toBe(0);
    expect(first.output()).toContain('[start] stopped');
    // The gateway and the workers stop first, the subgraphs next, the database last: nothing logs
    // a warning or an error about a service or database that went away under it.
    const stopping = first.output().slice(first.output().indexOf('[start] stopping (Ctrl-C)'));
    expect(stopping).not.toMatch(/ (warn|error)\s+\[/);
    // Nothing it started is left: not its FerretDB, no service, and not its lock on the data folder.
    expect(await listening(ports)).toEqual([]);
    expect(existsSync(lockFile)).toBe(false);
    // PostgreSQL shut down cleanly: its pid file goes only then.
    expect(existsSync(join(dataDir, 'postgresql', 'postmaster.pid'))).toBe(false);

    const second = launch(env);
    await second.ready();
    // The secret is kept in the data folder: a token printed by the first start still works, and so does `npm run token`'s.
    const after = await gql(gatewayUrl, customersQuery, {}, { token: support });
    const printed = execFileSync(process.execPath, ['--import', import.meta.resolve('tsx'), join(projectRoot, 'scripts/token.ts'), '--role', 'customer', '--customer', demo.customers.grace], {
      env: { ...process.env, FERRETDB_DATA_DIR: dataDir },
      encoding: 'utf8',
    }).trim();
    const grace = await gql(gatewayUrl, `{ customer(id: "${demo.customers.grace}") { name } }`, {}, { token: printed });
    expect(grace.data!.customer.name).toBe('Grace Hopper');
    expect(after.data).toEqual(before.data);

    // FerretDB killed under the running system: the launcher starts the database again, on the
    // same port and data, and every service carries on without being restarted.
    const ferretdb = databaseProcessesOf(dataDir).filter((pid) => /(^|\/)ferretdb\0/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8')));
    expect(ferretdb).toHaveLength(1);
    process.kill(ferretdb[0]!, 'SIGKILL');
    await until(async () => second.output().includes('[start] the database is running again'), 60_000, 'the database started again');
    expect(second.output()).toContain('[start] the database stopped: it exited unexpectedly (SIGKILL)');
    const served = await eventually(() => gql(gatewayUrl, customersQuery, {}, { token: support }), (response) => !response.errors, 30_000);
    expect(served.data).toEqual(before.data);
    // Its PostgreSQL killed (the default handler): FerretDB is stopped with it and both start again.
    if (embeddedHandler() === 'postgresql') {
      process.kill(Number.parseInt(readFileSync(join(dataDir, 'postgresql', 'postmaster.pid'), 'utf8'), 10), 'SIGKILL');
      await until(async () => second.output().includes('restarts: 2)'), 60_000, 'the database started again after its PostgreSQL was killed');
      expect(second.output()).toContain('[start] the database stopped: its PostgreSQL exited unexpectedly (SIGKILL)');
      const servedAgain = await eventually(() => gql(gatewayUrl, customersQuery, {}, { token: support }), (response) => !response.errors, 30_000);
      expect(servedAgain.data).toEqual(before.data);
    }
    // Killed again while it starts: that start is tried again (it used to wait 30 s for the dead
    // FerretDB and then stop the whole system).
    const restartsBefore = second.output().match(/the database is running again/g)!.length;
    const ferretdbPid = () => {
      try {
        return Number.parseInt(readFileSync(join(dataDir, 'ferretdb.pid'), 'utf8'), 10) || undefined;
      } catch {
        return undefined;
      }
    };
    const killed = ferretdbPid()!;
    process.kill(killed, 'SIGKILL');
    await until(async () => ![undefined, killed].includes(ferretdbPid()), 30_000, 'a new FerretDB started');
    process.kill(ferretdbPid()!, 'SIGKILL');
    await until(async () => second.output().match(/the database is running again/g)!.length > restartsBefore, 30_000, 'the database started again after a kill while it started');
    const servedAfterRestarts = await eventually(() => gql(gatewayUrl, customersQuery, {}, { token: support }), (response) => !response.errors, 30_000);
    expect(servedAfterRestarts.data).toEqual(before.data);
    expect(second.output()).not.toMatch(/restarting it in|giving up|stopping/);
    const secondDatabase = second.databasePort();
    expect(await interrupt(second.child, second.exited)).toBe(0);
    expect(await accepting(secondDatabase)).toBe(false);
  }, 240_000);

  it('a launcher killed outright: what it ran stops by itself, and the next start on its data folder stops the database it left', async () => {
    const env = await portsEnv();
    const first = launch(env);
    await first.ready();
    const ports = [Number(env.GATEWAY_PORT), Number(env.CATALOG_PORT), Number(env.ORDERS_PORT)];
    const database = first.databasePort();
    process.kill(first.child.pid!, 'SIGKILL'); // the launcher alone, not its group
    // Its services and workers notice their launcher is gone and stop.
    await until(async () => (await listening(ports)).length === 0, 30_000, 'the services stop');
    // Its database runs on, out of a terminal's reach (FerretDB and PostgreSQL write their logs
    // to files in the data folder, not to the launcher): the next start on the data folder stops
    // it, and later stops its own cleanly.
    const second = launch(env);
    await second.ready();
    expect(await accepting(database)).toBe(false);
    expect(await interrupt(second.child, second.exited)).toBe(0);
    expect(databaseProcessesOf(dataDir)).toEqual([]);
  }, 240_000);

  it('starts a database that runs but answers nothing again, after FERRETDB_HANG_SECONDS, with the stacks it was stuck on in its log', async () => {
    const env = await portsEnv();
    const gatewayUrl = `http://127.0.0.1:${env.GATEWAY_PORT}/graphql`;
    const run = launch({ ...env, FERRETDB_HANG_SECONDS: '6' });
    await run.ready();
    const support = /support:\s+(\S+)/.exec(run.output())?.[1];
    const before = await gql(gatewayUrl, customersQuery, {}, { token: support });
    expect(before.errors).toBeUndefined();
    // Paused: its port still accepts connections, and nothing is answered on them.
    const hung = Number.parseInt(readFileSync(join(dataDir, 'ferretdb.pid'), 'utf8'), 10);
    const logBefore = readFileSync(join(dataDir, 'ferretdb.log'), 'utf8').length;
    const outputBefore = run.output().length;
    process.kill(hung, 'SIGSTOP');
    await until(async () => run.output().slice(outputBefore).includes('[start] the database is running again'), 60_000, 'the hung database started again');
    expect(run.output().slice(outputBefore)).toMatch(/\[start\] the database stopped: it answered nothing for \d+ s while it ran \(FERRETDB_HANG_SECONDS\)/);
    expect(isRunning(hung)).toBe(false);
    expect(readFileSync(join(dataDir, 'ferretdb.log'), 'utf8').slice(logBefore)).toMatch(/^goroutine \d+ .*\[/m);
    const served = await eventually(() => gql(gatewayUrl, customersQuery, {}, { token: support }), (response) => !response.errors, 30_000);
    expect(served.data).toEqual(before.data);
    expect(await interrupt(run.child, run.exited)).toBe(0);
  }, 240_000);

  it('refuses a PostgreSQL cluster it cannot use in the data folder, and says what to do', async () => {
    const foreign = mkdtempSync(join(tmpdir(), 'fulfilment-foreign-'));
    try {
      mkdirSync(join(foreign, 'postgresql'));
      writeFileSync(join(foreign, 'postgresql', 'PG_VERSION'), '15\n');
      const run = launch({ ...(await portsEnv()), FERRETDB_DATA_DIR: foreign, EMBEDDED_DB: 'postgresql' });
      expect(await run.exited).toBe(1);
      expect(run.output()).toContain(`${join(foreign, 'postgresql')} holds a PostgreSQL 15 cluster; this project runs PostgreSQL 16`);
      expect(run.output()).not.toContain('[start] starting');
    } finally {
      rmSync(foreign, { recursive: true, force: true });
    }
  }, 60_000);

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

  it('refuses two processes given one port, before starting anything, and says which', async () => {
    const env = await portsEnv();
    for (const [setting, message] of [
      [{ CUSTOMERS_REPLICAS: 'uk', GATEWAY_UK_PORT: env.CATALOG_PORT! }, `port ${env.CATALOG_PORT} is given to both catalog (CATALOG_PORT) and gateway-uk (GATEWAY_UK_PORT)`],
      [{ FERRETDB_PORT: env.GATEWAY_PORT! }, `port ${env.GATEWAY_PORT} is given to both gateway (GATEWAY_PORT) and FerretDB (FERRETDB_PORT)`],
    ] as const) {
      const run = launch({ ...env, ...setting });
      expect(await run.exited).toBe(1);
      expect(run.output()).toContain(message);
      expect(run.output()).not.toContain('[start] starting');
      expect(existsSync(lockFile)).toBe(false);
    }
  }, 60_000);

  it('refuses a setting of the workers or of the gateway, or a file the gateway would read, before starting anything, and says which', async () => {
    const files = mkdtempSync(join(tmpdir(), 'fulfilment-gateway-files-'));
    onTestFinished(() => rmSync(files, { recursive: true, force: true }));
    const notSupergraph = join(files, 'supergraph.graphql');
    writeFileSync(notSupergraph, 'type Query { hello: String }\n');
    const notManifest = join(files, 'trusted.json');
    writeFileSync(notManifest, '{"operations": []}');
    const staleManifest = join(files, 'stale.json');
    writeFileSync(staleManifest, JSON.stringify({ title: '{ product(sku: "MUG-001") { name } }' }));
    for (const [setting, message] of [
      [{ WORKER_NICE: 'low' }, 'WORKER_NICE=low must be a whole number from 0'],
      [{ FERRETDB_HANG_SECONDS: 'a minute' }, 'FERRETDB_HANG_SECONDS=a minute: use a number of seconds'],
      [{ ORDERS_CONCURRENCY: '0' }, 'Invalid configuration:\n  ORDERS_CONCURRENCY: Number must be greater than or equal to 1'],
      [{ SHIPPING_WORK_MS: 'slow' }, 'Invalid configuration:\n  SHIPPING_WORK_MS: Expected number, received nan'],
      [{ SHIPPING_COUNTRIES: 'GB,UK' }, 'Invalid configuration:\n  SHIPPING_COUNTRIES: "UK" is not an ISO 3166-1 alpha-2 code'],
      [{ GATEWAY_TRUSTED_PROXIES: 'lb.internal' }, 'the gateway would not start: Invalid configuration:\n  GATEWAY_TRUSTED_PROXIES: "lb.internal" is not an IP address'],
      [{ GATEWAY_TRUSTED_PROXIES: '::ffff:10.0.0.0/8' }, 'would trust every IPv4 address'],
      [{ GATEWAY_TRUSTED_DOCUMENTS: join(files, 'missing.json') }, `the gateway would not start: GATEWAY_TRUSTED_DOCUMENTS: cannot read ${join(files, 'missing.json')} (no such file)`],
      [{ GATEWAY_TRUSTED_DOCUMENTS: notManifest }, `GATEWAY_TRUSTED_DOCUMENTS: ${notManifest} is not a manifest of trusted documents`],
      [{ GATEWAY_TRUSTED_DOCUMENTS: staleManifest }, `GATEWAY_TRUSTED_DOCUMENTS: ${staleManifest}: 1 of its documents would be refused (written for another version of the graph, or beyond the gateway's limits?):\n  "title": Cannot query field "name" on type "Product".`],
      [{ SUPERGRAPH_PATH: join(files, 'missing.graphql') }, `the gateway would not start: SUPERGRAPH_PATH: cannot read ${join(files, 'missing.graphql')} (no such file)`],
      [{ SUPERGRAPH_PATH: notSupergraph }, `SUPERGRAPH_PATH: ${notSupergraph} is not a supergraph`],
    ] as const) {
      const run = launch({ ...(await portsEnv()), ...setting });
      expect(await run.exited).toBe(1);
      expect(run.output()).toContain(message);
      expect(run.output()).not.toContain('[start] starting');
      expect(existsSync(lockFile)).toBe(false);
    }
  }, 90_000);

  it('refuses to start when FERRETDB_PORT is taken, before starting anything', async () => {
    const env = { ...(await portsEnv()), FERRETDB_PORT: String(await freePort()) };
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(Number(env.FERRETDB_PORT), '0.0.0.0', resolve));
    try {
      const run = launch(env);
      expect(await run.exited).toBe(1);
      expect(run.output()).toContain(`port ${env.FERRETDB_PORT} (FerretDB) is already in use`);
      expect(run.output()).toContain(`FERRETDB_PORT=`);
      expect(run.output()).not.toContain('[start] starting');
      expect(existsSync(lockFile)).toBe(false);
    } finally {
      blocker.close();
    }
  }, 60_000);
});
