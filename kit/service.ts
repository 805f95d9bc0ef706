import type { RequestListener, Server } from 'node:http';
import type { Db } from 'mongodb';
import { InternalTokens } from './auth/tokens.ts';
import { metricsListenerVars, parseEnv, serviceConfig, type ServiceConfig } from './env.ts';
import { closeServer, listen } from './http.ts';
import { announceMetricsPort } from './launcher-messages.ts';
import { createLogger, type Logger } from './logger.ts';
import { connectMongo, watchServerMonitor } from './mongo.ts';
import { databaseCheck, withProbes } from './probes.ts';
import { startTracing } from './telemetry.ts';
import { endsWithin, onShutdown } from './shutdown.ts';
import { databaseClosedForStop } from './unavailable.ts';

export interface ServiceDeps<E = unknown> {
  db: Db;
  config: ServiceConfig;
  logger: Logger;
  /** The service's own settings, parsed before anything connects. */
  env: E;
  /** Verifies callers' internal tokens and signs this service's own (INTERNAL_AUTH_SECRET). */
  tokens: InternalTokens;
}

export interface BuiltService {
  /** The GraphQL app to serve; absent for worker processes, which only work their queues. */
  handler?: RequestListener;
  /** Optional: idempotent demo data, loaded when SEED_DEMO_DATA=true. */
  seed?: () => Promise<void>;
  /** Serves more than HTTP requests on the listening server (WebSockets, for subscriptions). */
  attach?: (server: Server) => { close(): Promise<void> };
  close?: () => Promise<void>;
}

/**
 * What every subgraph's index.ts does: read config, connect to its own database,
 * build the app, listen, and shut down cleanly when asked to (kit/shutdown.ts).
 */
export async function runService<E = undefined>(
  name: string,
  defaultPort: number,
  build: (deps: ServiceDeps<E>) => Promise<BuiltService>,
  parseOwnEnv: () => E = () => undefined as E,
  role: 'server' | 'worker' = 'server',
): Promise<void> {
  const label = role === 'worker' ? `${name}-worker` : name;
  let logger = createLogger(label);
  try {
    const config = serviceConfig(name, defaultPort);
    const env = parseOwnEnv();
    // A worker serves no GraphQL: it listens only for /health, /ready and /metrics, on METRICS_PORT (any free port by default).
    const { METRICS_PORT: metricsPort, METRICS_HOST: metricsHost } = parseEnv(metricsListenerVars);
    logger = createLogger(label, { level: config.logLevel });
    // Before anything is built: the GraphQL apps install their tracing plugins only when it is on.
    const tracing = startTracing(label);
    const onWait = (error: Error) => logger.warn(`waiting for the ${name} database at ${redact(config.mongoUri)}: ${error.message}`);
    const client = await connectMongo(config.mongoUri, name, { onWait }).catch((error: Error) => {
      throw new Error(`cannot reach the ${name} database at ${redact(config.mongoUri)}: ${error.message}`);
    });
    watchServerMonitor(client, (stalledMs) => {
      logger.error(`the database driver's server monitor has been stuck for ${Math.round(stalledMs / 1000)} s; exiting so that the supervisor starts this process again`);
      process.exit(1);
    });
    const service = await build({ db: client.db(config.dbName), config, logger, env, tokens: new InternalTokens(config.internalSecret) });
    if (config.seedDemoData && service.seed) {
      await service.seed();
      logger.info('demo data loaded');
    }
    let server: Server | undefined;
    let attached: { close(): Promise<void> } | undefined;
    if (service.handler) {
      const listening = await listen(service.handler, config.port, config.host);
      server = listening.server;
      attached = service.attach?.(server);
      logger.info(`listening on http://localhost:${listening.port}/graphql`, { db: config.dbName });
    } else {
      const db = client.db(config.dbName);
      const listening = await listen(withProbes(undefined, { database: databaseCheck(db) }), metricsPort, metricsHost, 'METRICS_PORT');
      server = listening.server;
      logger.info(`working; metrics on http://localhost:${listening.port}/metrics`, { db: config.dbName });
      announceMetricsPort(listening.port);
    }

    onShutdown(async () => {
      await attached?.close();
      if (server) await closeServer(server);
      // Bounded, as closeServer is: a pass in flight on a database that is gone or hung would
      // otherwise hold the stop past the launcher's grace (for good, on a hung one). Work cut
      // short this way is not lost: its lease expires and another process does it again.
      const stopping = service.close?.().catch((error: Error) => logger.error(`stopping failed: ${error.message}`, { stack: error.stack }));
      if (stopping && !(await endsWithin(stopping, STOP_WORK_GRACE_MS))) {
        logger.info(`stopping without the work still in flight after ${STOP_WORK_GRACE_MS / 1000} s (a long pass, or a database that does not answer); it is done again once its lease expires`);
      }
      // Closing ends the connections in use, so what is still in flight fails at once; ending the
      // driver's sessions is a courtesy a hung database would never answer.
      databaseClosedForStop();
      await endsWithin(client.close(), 500);
      // Exporting the last spans is bounded too: a collector that hangs must not hold the stop.
      if (tracing) await endsWithin(tracing.shutdown(), 500);
      process.exit(0);
    });
  } catch (error) {
    logger.error(`${label} failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}

/** How long a stopping service waits for its workers, relays and loops to finish what they hold. */
const STOP_WORK_GRACE_MS = 2_000;

/** Never print credentials from a connection string. */
export function redact(uri: string): string {
  return uri.replace(/\/\/[^@/]+@/, '//***@');
}
