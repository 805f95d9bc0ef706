// `npm start`: builds what is missing, starts the embedded database (unless
// MONGODB_URI is set), every subgraph, the pipeline's workers (`<STAGE>_WORKERS`
// each, default 1), regional replicas of the customers domain when CUSTOMERS_REPLICAS
// names them (uk, de) with a gateway for each region, and the gateway, loads the demo data
// and prints where GraphiQL is. A subgraph, worker or gateway that exits unexpectedly is
// started again (scripts/supervisor.ts); Ctrl-C or SIGTERM stops everything.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultPorts, subgraphNames, type SubgraphName } from '../gateway/subgraphs.ts';
import { stagesWithWorkers } from '../pipeline/services.ts';
import { MONGO_POOL_SIZE } from '../kit/mongo-pool.ts';
import { graphqlBannerLine } from './banner.ts';
import { buildAll, builtPath } from './build.ts';
import { demo } from '../subgraphs/demo-data.ts';
import { clientSigning, devSecretsPath, devToken, ensureDevSecrets } from './dev-secrets.ts';
import { DatabaseBuildError, ensureFerretDb, FERRETDB_VERSION, keepPortsFromDatabase, projectRoot, startFerretDb, tryLock, type RunningDatabase } from './ferretdb.ts';
import { countStop, policyFromEnv, Supervisor } from './supervisor.ts';
import { databaseHangMs, watchForHang } from './database-liveness.ts';
import { lowerPriority, workerNiceOffset } from './priority.ts';
import { processState } from './processes.ts';
import { isMetricsPortMessage } from '../kit/launcher-messages.ts';
import { gatewayConfig } from '../gateway/env.ts';
import { readSupergraphFile } from '../gateway/config-files.ts';
import { loadTrustedManifest } from '../gateway/limits.ts';
import { clientSchemaOf, loadSupergraph } from '../gateway/supergraph.ts';
import { stageWorkEnv } from '../pipeline/stage-env.ts';
import { ordersEnv, ordersWorkerEnv } from '../subgraphs/orders/env.ts';
import { paymentsEnv } from '../subgraphs/payments/env.ts';
import { pickingRules } from '../subgraphs/picking/env.ts';
import { trackingEnv } from '../subgraphs/tracking/env.ts';

const say = (message: string) => process.stdout.write(`[start] ${message}\n`);
const fail = (message: string): never => {
  process.stderr.write(`[start] ${message}\n`);
  process.exit(1);
};

interface ServicePlan {
  name: SubgraphName | 'gateway' | `customers-${string}` | `gateway-${string}`;
  entry: string;
  port: number;
  portVar: string;
}

const env = process.env;
const portOf = (name: string, fallback: number) => Number(env[`${name.toUpperCase()}_PORT`] ?? fallback);
const plans: ServicePlan[] = [
  ...subgraphNames.map((name) => ({ name, entry: `subgraphs/${name}/index.ts`, port: portOf(name, defaultPorts[name]), portVar: `${name.toUpperCase()}_PORT` })),
  { name: 'gateway', entry: 'gateway/index.ts', port: portOf('gateway', 4000), portVar: 'GATEWAY_PORT' },
];
const urlOf = (name: string) => `http://127.0.0.1:${plans.find((p) => p.name === name)!.port}/graphql`;

/**
 * Regional replicas of the customers domain (CUSTOMERS_REPLICAS=uk,de): each its own
 * process and database (customers_uk, customers_de), following the home customers
 * service. The gateway keeps composing the home copy; each region gets a gateway of its own
 * whose customers are its replica's (CUSTOMERS_URL), for the region's staff: a replica, like
 * every subgraph, answers only callers with an internal token.
 */
const regions = { uk: { region: 'UK', port: 4013, gatewayPort: 4015 }, de: { region: 'DE', port: 4014, gatewayPort: 4016 } } as const;
type RegionName = keyof typeof regions;
const replicaNames = (env.CUSTOMERS_REPLICAS ?? '')
  .split(',')
  .map((name) => name.trim().toLowerCase())
  .filter(Boolean);
for (const name of replicaNames) {
  if (!(name in regions)) fail(`CUSTOMERS_REPLICAS=${env.CUSTOMERS_REPLICAS}: "${name}" is not a region; use any of ${Object.keys(regions).join(', ')} (e.g. CUSTOMERS_REPLICAS=uk,de)`);
}
const replicaPlans = [...new Set(replicaNames as RegionName[])].map((name) => ({
  plan: { name: `customers-${name}` as const, entry: 'subgraphs/customers/index.ts', port: portOf(`customers_${name}`, regions[name].port), portVar: `CUSTOMERS_${name.toUpperCase()}_PORT` },
  gateway: { name: `gateway-${name}` as const, entry: 'gateway/index.ts', port: portOf(`gateway_${name}`, regions[name].gatewayPort), portVar: `GATEWAY_${name.toUpperCase()}_PORT` },
  region: regions[name].region,
  dbName: `customers_${name}`,
}));

/** A setting read before anything starts; one it cannot read stops the launcher, saying why. */
function setting<T>(read: () => T, context = ''): T {
  try {
    return read();
  } catch (error) {
    return fail(`${context}${error instanceof Error ? error.message : String(error)}`);
  }
}
const supervisor = new Supervisor(say, setting(() => policyFromEnv(env)));
/** How many nice levels below the services the stage workers run (scripts/priority.ts): they yield the CPU to what clients wait on. */
const workerNice = setting(() => workerNiceOffset(env));
const databaseHang = setting(() => databaseHangMs(env));
// The gateway's own settings (GATEWAY_*, AUTH_*), checked before anything starts: the gateway
// starts last, and would refuse a mistake only once everything else is up. The secrets the
// launcher generates later are stood in for.
const standIn = 'a stand-in for the secret the launcher generates';
setting(() => {
  const config = gatewayConfig({ ...env, INTERNAL_AUTH_SECRET: env.INTERNAL_AUTH_SECRET ?? standIn, ...(env.AUTH_JWKS_URL ? {} : { AUTH_JWT_SECRET: env.AUTH_JWT_SECRET || standIn }) });
  // And the files they name, read as the gateway will read them: trusted documents against the
  // graph it will serve (composed here too when no SUPERGRAPH_PATH names one).
  const supergraph = config.supergraphPath ? readSupergraphFile(config.supergraphPath) : undefined;
  if (config.limits.trustedDocumentsPath) loadTrustedManifest(config.limits, clientSchemaOf(supergraph ?? loadSupergraph(config.endpoints)));
}, 'the gateway would not start: ');
// The services', workers' and stages' own settings too: a process that refuses its settings would
// only be restarted until the supervisor gives up. (The simulated work's default is the worker's
// own; any stands in here, where only what is set is checked.)
setting(() => {
  ordersEnv(env);
  ordersWorkerEnv(env);
  paymentsEnv(env);
  pickingRules(env);
  trackingEnv(env);
  for (const stage of ['REBIN', 'SHIPPING']) stageWorkEnv(stage, 0, env);
});
let database: RunningDatabase | undefined;
/** The embedded database being started again after it exited (keepDatabaseRunning). */
let databaseRestart: Promise<void> | undefined;
let stopping = false;

async function main() {
  // Read before anything starts: a count it refuses stops the launcher before the database starts.
  const workerCounts = stagesWithWorkers.map((stage) => [stage, workerCount(stage)] as const);
  const workers = workerCounts.reduce((sum, [, count]) => sum + count, 0);
  const listeners = [...plans, ...replicaPlans.flatMap((replica) => [replica.plan, replica.gateway])];
  const usesOwnDatabase = !env.MONGODB_URI && !subgraphNames.every((name) => env[`${name.toUpperCase()}_MONGODB_URI`]);
  const databasePort = usesOwnDatabase ? fixedDatabasePort() : undefined;
  refuseSharedPorts(databasePort ? [...listeners, databasePort] : listeners);
  for (const plan of listeners) await ensurePortFree(plan);
  if (databasePort) await ensurePortFree(databasePort);
  // PostgreSQL and FerretDB take free ports at random and start before the services do.
  keepPortsFromDatabase(listeners.map((plan) => plan.port));
  if ((await buildAll()) === 'built') say('built every service into dist/ (npm run build)');
  let mongoUri = env.MONGODB_URI;
  if (usesOwnDatabase) {
    try {
      ensureFerretDb(say);
    } catch (error) {
      fail(error instanceof DatabaseBuildError ? error.message : String(error));
    }
    const dataDir = env.FERRETDB_DATA_DIR ?? join(projectRoot, '.data', 'ferretdb');
    lockDataDir(dataDir);
    try {
      // Every process that uses it (and this one) with a full pool each: FerretDB's pool of
      // PostgreSQL connections is sized so that together they can never exhaust it (see postgresConnectionsFor).
      const databaseProcesses = subgraphNames.length + replicaPlans.length + workers + 1;
      const clientConnections = databaseProcesses * MONGO_POOL_SIZE;
      database = await startFerretDb({ dataDir, port: databasePort?.port, adoptOrphan: true, ownProcessGroup: true, clientConnections });
      // Started again on the same port: every process's client reconnects by itself.
      const { port } = database;
      keepDatabaseRunning(database, () => startFerretDb({ dataDir, port, adoptOrphan: true, ownProcessGroup: true, clientConnections }));
    } catch (error) {
      return fail(error instanceof Error ? error.message : String(error));
    }
    mongoUri = database.uri;
    const storage = database.handler === 'postgresql' ? 'on PostgreSQL' : 'on SQLite (EMBEDDED_DB=sqlite)';
    say(`database: FerretDB ${FERRETDB_VERSION} ${storage} at ${database.uri} (data in ${dataDir})`);
  } else {
    say('database: using MONGODB_URI / <SERVICE>_MONGODB_URI (no embedded database started)');
  }

  // Development identities: secrets generated once into the data folder, unless the environment
  // brings its own (a real identity provider: AUTH_JWKS_URL; the internal secret: INTERNAL_AUTH_SECRET).
  const secrets = ensureDevSecrets();
  const signing = env.AUTH_JWKS_URL ? undefined : clientSigning(env, () => secrets.users);
  const auth = {
    INTERNAL_AUTH_SECRET: env.INTERNAL_AUTH_SECRET ?? secrets.internal,
    ...(signing ? { AUTH_JWT_SECRET: signing.secret, AUTH_ISSUER: signing.issuer, AUTH_AUDIENCE: signing.audience } : {}),
  };
  const supportToken = signing ? await devToken(signing, { role: 'support' }) : undefined;
  const adaToken = signing ? await devToken(signing, { role: 'customer', customerId: demo.customers.ada }) : undefined;

  const shared = {
    ...env,
    ...auth,
    ...(mongoUri && !env.MONGODB_URI ? { MONGODB_URI: mongoUri } : {}),
    HOST: env.HOST ?? '127.0.0.1',
    // Children leave a Ctrl-C to the launcher, which stops them in order (kit/shutdown.ts).
    SUPERVISOR_PID: String(process.pid),
    LOG_FORMAT: env.LOG_FORMAT ?? 'pretty',
    SEED_DEMO_DATA: env.SEED_DEMO_DATA ?? 'true',
    // Every process may call any service (orders calls customers, workers hand on to the next stage).
    ...Object.fromEntries(subgraphNames.map((name) => [`${name.toUpperCase()}_URL`, env[`${name.toUpperCase()}_URL`] ?? urlOf(name)])),
  };
  const subgraphs = plans.filter((plan) => plan.name !== 'gateway');
  await Promise.all(subgraphs.map((plan) => launch(plan, { ...shared, PORT: String(plan.port) })));
  await Promise.all(
    replicaPlans.map(({ plan, region, dbName }) =>
      launch(plan, {
        ...shared,
        PORT: String(plan.port),
        CUSTOMERS_ROLE: 'replica',
        CUSTOMERS_REGION: region,
        CUSTOMERS_HOME_URL: env.CUSTOMERS_URL ?? urlOf('customers'),
        CUSTOMERS_DB_NAME: dbName,
      }),
    ),
  );

  for (const [stage, count] of workerCounts) {
    for (let i = 1; i <= count; i++) launchWorker(stage, i, shared);
  }

  const gateway = plans.find((plan) => plan.name === 'gateway')!;
  const gatewayEnv = (port: number) => ({ ...shared, GATEWAY_PORT: String(port), ...(supportToken ? { GRAPHIQL_TOKEN: supportToken } : {}) });
  await launch(gateway, gatewayEnv(gateway.port));
  await Promise.all(replicaPlans.map(({ plan, gateway: regional }) => launch(regional, { ...gatewayEnv(regional.port), CUSTOMERS_URL: `http://127.0.0.1:${plan.port}/graphql` })));

  const metrics = await metricsLine(workers, 1 + replicaPlans.length);
  process.stdout.write(
    [
      '',
      '  The fulfilment graph is up.',
      graphqlBannerLine(gateway.port, env),
      `  Subgraphs: ${subgraphs.map((plan) => `${plan.name} :${plan.port}`).join(', ')}`,
      ...(replicaPlans.length
        ? [`  Regions:   ${replicaPlans.map(({ plan, gateway: regional }) => `${plan.name} :${plan.port} through http://localhost:${regional.port}/graphql`).join(', ')} (the same graph, customers from the region's copy)`]
        : []),
      `  Workers:   ${workerCounts.map(([stage, count]) => `${stage} ×${count}`).join(', ')} (set <STAGE>_WORKERS to run more)`,
      metrics,
      `  Live:      ws://localhost:${gateway.port}/graphql (subscriptions), http://localhost:${gateway.port}/track?order=<id>`,
      ...(supportToken && adaToken
        ? [
            `  Tokens (12 h; secrets in ${devSecretsPath()}), send as Authorization: Bearer <token>:`,
            `    support:   ${supportToken}`,
            `    Ada (customer ${demo.customers.ada}): ${adaToken}`,
            '    more:      npm run -s token -- --role customer --customer <id>   (or --role support, --role warehouse)',
            '  GraphiQL opens with the support token in its headers.',
          ]
        : ['  Tokens:    from your identity provider (AUTH_JWKS_URL)']),
      '  Watch orders move: npm run demo',
      '  Press Ctrl-C to stop.',
      '',
    ].join('\n') + '\n',
  );
  bannerPrinted = true;
}

async function ensurePortFree(plan: Pick<ServicePlan, 'port' | 'portVar'> & { name: string }) {
  const free = await new Promise<boolean>((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(plan.port, '0.0.0.0', () => probe.close(() => resolve(true)));
  });
  if (!free) {
    fail(
      `port ${plan.port} (${plan.name}) is already in use: is the system already running? ` +
        `Stop whatever uses it, or choose another port, for example ${plan.portVar}=${plan.port + 100} npm start`,
    );
  }
}

/**
 * Two processes given one port (say GATEWAY_UK_PORT=4003, the catalog's): each port is free when
 * probed, and the second to start would fail to listen and be restarted until the supervisor gives up.
 */
function refuseSharedPorts(listeners: Array<Pick<ServicePlan, 'port' | 'portVar'> & { name: string }>) {
  const byPort = new Map<number, string>();
  for (const plan of listeners) {
    const earlier = byPort.get(plan.port);
    if (earlier) fail(`port ${plan.port} is given to both ${earlier} and ${plan.name} (${plan.portVar}); give each its own port`);
    byPort.set(plan.port, `${plan.name} (${plan.portVar})`);
  }
}

/** FERRETDB_PORT, when set: checked like the service ports before anything starts. */
function fixedDatabasePort() {
  if (!env.FERRETDB_PORT) return undefined;
  const port = Number(env.FERRETDB_PORT);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    return fail(`FERRETDB_PORT=${env.FERRETDB_PORT} is not a port number; set it to a free port, or leave it unset to use any free port`);
  }
  return { name: 'FerretDB', port, portVar: 'FERRETDB_PORT' };
}

let releaseDataDir: (() => void) | undefined;

/** One launcher per database folder: two FerretDBs on the same SQLite files would damage them. */
function lockDataDir(dataDir: string) {
  const lock = tryLock(join(dataDir, 'npm-start.lock'));
  if (!lock.acquired) {
    return fail(`another npm start (pid ${lock.holder}) is using ${dataDir}; stop it or set FERRETDB_DATA_DIR to use another folder`);
  }
  releaseDataDir = lock.release;
  process.once('exit', lock.release); // however the launcher ends
}

/** Each process runs the JavaScript `npm run build` made of its entry point: nothing compiles at run time. */
const nodeArgs = (entry: string) => ['--enable-source-maps', builtPath(join(projectRoot, entry))];

async function launch(plan: ServicePlan, childEnv: NodeJS.ProcessEnv) {
  say(`starting ${plan.name} on port ${plan.port}`);
  const spawnIt = () => {
    // A gateway (the main one and each region's) serves /metrics on a port of its own, and says which (as workers do).
    if (!isGateway(plan.name)) return spawn(process.execPath, nodeArgs(plan.entry), { env: childEnv, stdio: ['ignore', 'inherit', 'inherit'] });
    const child = spawn(process.execPath, nodeArgs(plan.entry), { env: childEnv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', (message) => {
      if (!isMetricsPortMessage(message)) return;
      gatewayMetricsPorts.set(plan.name, message.port);
      if (bannerPrinted) say(`${plan.name} metrics: http://localhost:${message.port}/metrics`);
    });
    return child;
  };
  // A restarted service may take long to come up on a loaded machine: it is watched until it serves or exits.
  const supervised = supervisor.add(plan.name, spawnIt, (child) => waitUntilHealthy(plan, child, Number.POSITIVE_INFINITY));
  await waitUntilHealthy(plan, supervised.child);
  say(`${plan.name} is up (pid ${supervised.child.pid})`);
}

function workerCount(stage: string): number {
  const value = env[`${stage.toUpperCase()}_WORKERS`] ?? '1';
  const count = Number(value);
  if (!Number.isInteger(count) || count < 0 || count > 32) return fail(`${stage.toUpperCase()}_WORKERS=${value} must be a whole number from 0 to 32`);
  return count;
}

/**
 * Where each worker serves /metrics, as it said over its IPC channel once listening (any free port,
 * so that launchers side by side never collide; again after a restart). Printed with the banner,
 * or as it arrives once the banner is out.
 */
const workerMetricsPorts = new Map<string, number>();
const gatewayMetricsPorts = new Map<string, number>();
const isGateway = (name: string) => name === 'gateway' || name.startsWith('gateway-');
let bannerPrinted = false;

/** A worker process leases from its stage's queue; it serves only /health, /ready and /metrics. */
function launchWorker(stage: string, index: number, childEnv: NodeJS.ProcessEnv) {
  const name = `${stage}-worker-${index}`;
  const spawnIt = () => {
    const child = spawn(process.execPath, nodeArgs(`subgraphs/${stage}/run-worker.ts`), { env: childEnv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    lowerPriority(child.pid, workerNice, say);
    child.on('message', (message) => {
      if (!isMetricsPortMessage(message)) return;
      workerMetricsPorts.set(name, message.port);
      if (bannerPrinted) say(`${name} metrics: http://localhost:${message.port}/metrics`);
    });
    return child;
  };
  const supervised = supervisor.add(name, spawnIt, announced);
  say(`starting ${name} (pid ${supervised.child.pid})`);
}

/**
 * A worker is up once it says where its metrics are: it has reached its database and started
 * working by then. (A restarted one was said to be running again as it was spawned, also one
 * that never got that far.) Rejects when it exits first.
 */
function announced(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown) => {
      if (!isMetricsPortMessage(message)) return;
      done();
      resolve();
    };
    const onExit = () => {
      done();
      reject(new Error('exited before it was up'));
    };
    const done = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Waits a little for every worker and gateway to say where its metrics are; the banner names those that did. */
async function metricsLine(workers: number, gateways: number): Promise<string> {
  const deadline = Date.now() + 10_000;
  while ((workerMetricsPorts.size < workers || gatewayMetricsPorts.size < gateways) && Date.now() < deadline && !stopping) await new Promise((resolve) => setTimeout(resolve, 100));
  const named = (ports: Map<string, number>) =>
    [...ports]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, port]) => `${name} :${port}`)
      .join(', ');
  const later = workerMetricsPorts.size < workers || gatewayMetricsPorts.size < gateways ? ' (the others are printed when they are up)' : '';
  const gatewayPorts = named(gatewayMetricsPorts) || 'gateway not yet known';
  return `  Metrics:   /metrics on every subgraph's port; ${gatewayPorts} (not on the gateways' public ports); workers: ${named(workerMetricsPorts) || 'none yet'}${later}`;
}

async function waitUntilHealthy(plan: ServicePlan, child: ChildProcess, withinMs = 180_000) {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null || stopping) throw new Error(`${plan.name} did not start`);
    try {
      // A process that accepts the connection but never answers must not hold the launcher for good.
      const response = await fetch(`http://127.0.0.1:${plan.port}/health`, { signal: AbortSignal.timeout(5_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`${plan.name} did not become healthy on port ${plan.port} within ${withinMs / 1000} s`);
}

const isWorker = (name: string) => name.endsWith('-worker') || /-worker-\d+$/.test(name);

/**
 * Starts the embedded database again when FerretDB exits while the system runs (killed, a
 * crash, or stopped because its PostgreSQL died), as the supervisor does a service: its
 * PostgreSQL is stopped cleanly first, and both start again on the same data, FerretDB on the same
 * port. The processes ride out the gap as they ride out any database restart
 * (docs/architecture.md): nothing is restarted and nothing is lost.
 */
function keepDatabaseRunning(running: RunningDatabase, start: () => Promise<RunningDatabase>, stops: number[] = []) {
  // One that runs but answers nothing is ended (its stacks go to its log), and so started again below.
  const watch =
    databaseHang > 0
      ? watchForHang(running.uri, {
          hangMs: databaseHang,
          onHang: (silentMs) => running.endHung(`it answered nothing for ${Math.round(silentMs / 1000)} s while it ran (FERRETDB_HANG_SECONDS), so it was ended with SIGQUIT, which writes the stacks it was stuck on to its log`),
        })
      : undefined;
  running.process.once('exit', (code, signal) => {
    void watch?.stop();
    if (stopping) return;
    const cause = running.stoppedBecause ?? `it exited unexpectedly (${signal ?? `code ${code}`})`;
    databaseRestart = startDatabaseAgain(`the database stopped: ${cause}; what it said is in ${running.logPath}`, running, start, stops);
  });
}

/**
 * One restart, tried again (after the supervision policy's pause) if the database does not come
 * up, for example killed again while it starts. Stopping or failing to start more often than the
 * policy allows (5 times within 60 s) stops the system: a database that cannot stay up is not
 * left to spin.
 */
async function startDatabaseAgain(why: string, stopped: RunningDatabase, start: () => Promise<RunningDatabase>, earlier: number[]) {
  const policy = policyFromEnv(env);
  let stops = earlier;
  let reason = why;
  let previous: RunningDatabase | undefined = stopped;
  while (!stopping) {
    const counted = countStop(policy, stops);
    stops = counted.stops;
    if (counted.tooMany) return void shutdown(`${reason}; that is ${stops.length} times within ${policy.windowMs / 1000} s: stopping`, 1);
    say(`${reason}; starting it again (restart ${stops.length})`);
    // What is left of it (its PostgreSQL, after FerretDB died) stops first: the new one uses the same data.
    await previous?.stop().catch(() => {});
    previous = undefined;
    if (stopping) return;
    try {
      const again = await start();
      if (stopping) return void (await again.stop().catch(() => {}));
      database = again;
      say(`the database is running again (pid ${again.process.pid}, restarts: ${stops.length})`);
      return keepDatabaseRunning(again, start, stops);
    } catch (error) {
      reason = `the database could not be started again: ${error instanceof Error ? error.message.trim() : String(error)}`;
      // No pause before giving up.
      if (stops.length < policy.maxRestarts) await sleep(counted.pauseMs);
    }
  }
}

async function shutdown(reason: string, exitCode: number) {
  if (stopping) return;
  stopping = true;
  say(reason);
  // Callers before callees: the gateways and the workers, then the regional replicas (they follow
  // the home customers service), then the subgraphs; the database last, once nothing uses it.
  await supervisor.stop([(name) => name === 'gateway' || name.startsWith('gateway-') || isWorker(name), (name) => name.startsWith('customers-')]);
  // A restart under way ends first (it stops what it started once it sees the system stopping).
  await databaseRestart;
  await database?.stop();
  releaseDataDir?.();
  say('stopped');
  process.exit(exitCode);
}

process.on('SIGINT', () => void shutdown('stopping (Ctrl-C)', 0));
process.on('SIGTERM', () => void shutdown('stopping', 0));
process.on('SIGHUP', () => void shutdown('stopping (the terminal closed)', 0));

// A launcher whose parent is gone (npm or tsx killed without passing the signal on) has nobody to
// stop it: it stops everything itself rather than leave the system running unowned. npm runs the
// script through a shell, which outlives a `kill -9` of npm: npm, its parent, is watched too.
const parentAtStart = process.ppid;
const grandparentAtStart = processState(parentAtStart)?.parent;
setInterval(() => {
  const grandparentGone = grandparentAtStart !== undefined && grandparentAtStart > 1 && !processState(grandparentAtStart)?.alive;
  if (process.ppid !== parentAtStart || grandparentGone) void shutdown('stopping: the process that started npm start is gone', 0);
}, 1_000).unref();

main().catch((error: unknown) => shutdown(`start failed: ${error instanceof Error ? error.message : String(error)}`, 1));
