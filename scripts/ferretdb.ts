import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';

// The embedded database for development and tests: FerretDB, a MongoDB
// wire-compatible server on SQLite, built from the Go module proxy into .tools/.

export const FERRETDB_VERSION = 'v1.24.2';
const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';

export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const toolsDir = join(projectRoot, '.tools');
export const ferretdbBinary = join(toolsDir, 'bin', 'ferretdb');

export class DatabaseBuildError extends Error {
  override name = 'DatabaseBuildError';
}

type Progress = (message: string) => void;

/** Builds FerretDB once; later calls return at once. */
export function ensureFerretDb(progress: Progress = () => {}): string {
  if (existsSync(ferretdbBinary)) return ferretdbBinary;
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.error || go.status !== 0) {
    throw new DatabaseBuildError(
      'The embedded database (FerretDB) is built with Go, and `go` was not found. Install Go 1.24 or newer, ' +
        'or set MONGODB_URI to use a MongoDB server you run yourself.',
    );
  }
  progress(`building FerretDB ${FERRETDB_VERSION} with ${go.stdout.trim()} (first run only; takes a minute or two)`);
  const download = run('go', ['mod', 'download', '-json', `${FERRETDB_MODULE}@${FERRETDB_VERSION}`], toolsDir);
  const moduleDir = (JSON.parse(download) as { Dir: string }).Dir;

  // FerretDB's own binary refuses to start without build/version/version.txt, which its
  // release tooling writes from git. The module zip lacks it, so build from a copy that has it.
  const sourceDir = join(toolsDir, 'ferretdb-src');
  rmSync(sourceDir, { recursive: true, force: true });
  cpSync(moduleDir, sourceDir, { recursive: true });
  chmodRecursive(sourceDir);
  writeFileSync(join(sourceDir, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
  const partial = `${ferretdbBinary}.partial`;
  run('go', ['build', '-buildvcs=false', '-trimpath', '-o', partial, './cmd/ferretdb'], sourceDir);
  cpSync(partial, ferretdbBinary);
  rmSync(partial);
  rmSync(sourceDir, { recursive: true, force: true });
  progress(`FerretDB built at ${ferretdbBinary}`);
  return ferretdbBinary;
}

function run(command: string, args: string[], cwd: string): string {
  mkdirSync(cwd, { recursive: true });
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, GOFLAGS: '-mod=mod' } });
  if (result.status !== 0) {
    throw new DatabaseBuildError(
      `Building the embedded database failed: \`${command} ${args.join(' ')}\` exited with ${result.status}:\n` +
        `${result.stderr || result.error?.message}\n` +
        'Check that the Go module proxy is reachable, or set MONGODB_URI to use a MongoDB server you run yourself.',
    );
  }
  return result.stdout;
}

function chmodRecursive(dir: string) {
  spawnSync('chmod', ['-R', 'u+w', dir]);
  chmodSync(dir, 0o755);
}

export interface RunningDatabase {
  uri: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts FerretDB on a free loopback port with its data in `dataDir`, and waits until it answers. */
export async function startFerretDb(options: { dataDir: string; port?: number; logLevel?: string }): Promise<RunningDatabase> {
  const binary = ensureFerretDb();
  mkdirSync(options.dataDir, { recursive: true });
  const port = options.port || (await freePort());
  const child = spawn(
    binary,
    [
      '--handler=sqlite',
      `--sqlite-url=file:${options.dataDir}/`,
      `--state-dir=${options.dataDir}`,
      `--listen-addr=127.0.0.1:${port}`,
      '--debug-addr=-',
      '--telemetry=disable',
      `--log-level=${options.logLevel ?? 'WARN'}`,
      '--log-format=text',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const uri = `mongodb://127.0.0.1:${port}/`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitForMongo(uri, child, () => stderr);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    uri,
    port,
    process: child,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

async function waitForMongo(uri: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`FerretDB exited with code ${child.exitCode}:\n${stderr()}`);
    const client = new MongoClient(uri, { serverSelectionTimeoutMS: 500, connectTimeoutMS: 500 });
    try {
      await client.db('admin').command({ ping: 1 });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      await client.close();
    }
  }
  throw new Error(`FerretDB did not answer on ${uri} within 30 s:\n${stderr()}`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
