import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InternalTokens, serviceCredentials } from '../kit/auth/tokens.ts';
import { clientSigning, devSecretsPath, devToken, readDevSecrets } from '../scripts/dev-secrets.ts';
import { killDatabaseOf, projectRoot } from '../scripts/ferretdb.ts';
import { serviceNames } from '../pipeline/services.ts';

/**
 * BENCH_TRACING=on: every process traces and exports its spans over OTLP/HTTP, as in production,
 * to a local sink that accepts and drops them; so a run with it, against one without, measures
 * what tracing costs (spans, context propagation, batching, serialising and sending).
 */
async function startTraceSink() {
  let exports = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      exports++;
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      process.stderr.write(`[bench] tracing on: the processes sent ${exports} span batches\n`);
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Runs `npm start` (the launcher) on its own ports and a throw-away database, for a benchmark. */
export async function startLauncher(basePort: number, extraEnv: Record<string, string> = {}, { onLine }: { onLine?: (line: string) => void } = {}) {
  const tracing = process.env.BENCH_TRACING === 'on' ? await startTraceSink() : undefined;
  const traceEnv: Record<string, string> = tracing ? { OTEL_EXPORTER_OTLP_ENDPOINT: tracing.url } : { OTEL_EXPORTER_OTLP_ENDPOINT: '' };
  const dataDir = mkdtempSync(join(tmpdir(), 'fulfilment-bench-'));
  const ports: Record<string, string> = { GATEWAY_PORT: String(basePort) };
  serviceNames.forEach((name, i) => (ports[`${name.toUpperCase()}_PORT`] = String(basePort + 1 + i)));
  const child: ChildProcess = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(projectRoot, 'scripts/start.ts')], {
    // A benchmark's load generator is one caller: the per-caller rate limit would measure itself.
    env: { ...process.env, ...ports, FERRETDB_DATA_DIR: dataDir, LOG_LEVEL: 'error', NODE_ENV: 'production', GATEWAY_RATE_LIMIT_PER_MINUTE: '100000000', ...traceEnv, ...extraEnv },
    stdio: ['ignore', 'pipe', 'inherit'],
    // Its own process group: whatever the launcher leaves behind (killed itself) goes with the group.
    detached: true,
  });
  const killGroup = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // the group has exited already
    }
    killDatabaseOf(dataDir);
  };
  process.once('exit', killGroup);
  let output = '';
  let partial = '';
  const isUp = () => output.includes('The fulfilment graph is up');
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (onLine) {
        const lines = (partial + chunk.toString()).split('\n');
        partial = lines.pop()!;
        lines.forEach(onLine);
      }
      if (isUp()) resolve();
    });
    child.once('exit', (code) => {
      killGroup();
      // It never came up: nothing will stop it, so nothing else removes its throw-away database.
      if (!isUp()) rmSync(dataDir, { recursive: true, force: true });
      reject(new Error(`system exited with ${code}:\n${output}`));
    });
  });
  const mongoUri = /database: FerretDB .*? at (mongodb:\S+)/.exec(output)?.[1];
  // The development tokens it printed, and service credentials from the secret it generated.
  const support = /support:\s+(\S+)/.exec(output)?.[1];
  const ada = /Ada \(customer \w+\):\s+(\S+)/.exec(output)?.[1];
  const secrets = readDevSecrets(devSecretsPath({ FERRETDB_DATA_DIR: dataDir }));
  const service = serviceCredentials('bench', new InternalTokens(secrets.internal));
  const warehouse = await devToken(clientSigning(process.env, () => secrets.users), { role: 'warehouse' });
  return {
    gatewayUrl: `http://127.0.0.1:${basePort}/graphql`,
    mongoUri,
    /** The launcher's pid, which is also its process group's id: every process it runs is in that group. */
    pid: child.pid!,
    /** Its data folder: the database and the development secrets it generated. */
    dataDir,
    /** `Authorization` values: support (reads anything), Ada (places and reads her orders), a service (calls subgraphs directly). */
    authorization: { support: `Bearer ${support}`, ada: `Bearer ${ada}`, warehouse: `Bearer ${warehouse}`, service: () => service.authorization() },
    /** What the launcher printed so far. */
    output: () => output,
    /** The pid of the process the launcher runs as `name` now (it says so when it starts or restarts one). */
    pidOf(name: string): number | undefined {
      const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const pattern = new RegExp(`\\[start\\] (?:starting ${escaped} \\(pid (\\d+)\\)|${escaped} is (?:up|running again) \\(pid (\\d+))`, 'g');
      const pids = [...output.matchAll(pattern)].map((match) => Number(match[1] ?? match[2]));
      return pids.at(-1);
    },
    /** Processes the launcher restarted, as it reported them. */
    restarts: () => [...output.matchAll(/\[start\] (\S+) \(pid \d+\) exited unexpectedly/g)].map((match) => match[1]!),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      killGroup();
      process.off('exit', killGroup);
      rmSync(dataDir, { recursive: true, force: true });
      await tracing?.close();
    },
  };
}
