import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, cpSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { MONGO_POOL_SIZE } from '../kit/mongo-pool.ts';
import { DaemonLog, quoted } from './daemon-log.ts';
import { goMemorySettings } from './go-memory.ts';
import { startPostgres, type RunningPostgres } from './postgres.ts';
import { pidsWhere, processIdentity, programOf } from './processes.ts';
import { stopChild } from './stop-child.ts';

// The embedded database for development and tests: FerretDB, a MongoDB wire-compatible
// server, built from the Go module proxy into .tools/. It stores its data in a private
// PostgreSQL (scripts/postgres.ts; EMBEDDED_DB=postgresql, the default) or in SQLite files
// (EMBEDDED_DB=sqlite).

export const FERRETDB_VERSION = 'v1.24.2';
const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';

export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const toolsDir = join(projectRoot, '.tools');
const binDir = join(toolsDir, 'bin');
export const ferretdbBinary = join(binDir, 'ferretdb');
/** Holds the FERRETDB_VERSION the binary was built from; written only after the binary is in place. */
const versionStamp = `${ferretdbBinary}.version`;
/** Held while building, so that `npm start` and `npm test` on a fresh clone do not build over each other. */
const buildLock = join(toolsDir, 'ferretdb-build.lock');
const BUILD_WAIT_MS = 20 * 60_000;

export class DatabaseBuildError extends Error {
  override name = 'DatabaseBuildError';
}

type Progress = (message: string) => void;

function isBuilt(): boolean {
  if (!existsSync(ferretdbBinary)) return false;
  try {
    return readFileSync(versionStamp, 'utf8').trim() === FERRETDB_VERSION;
  } catch {
    return false;
  }
}

/**
 * Builds FerretDB once per FERRETDB_VERSION; later calls return at once. Safe to
 * call from several processes at a time: one builds, the others wait for it.
 */
export function ensureFerretDb(progress: Progress = () => {}): string {
  if (isBuilt()) return ferretdbBinary;
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.error || go.status !== 0) {
    throw new DatabaseBuildError(
      'The embedded database (FerretDB) is built with Go, and `go` was not found. Install Go 1.24 or newer, ' +
        'or set MONGODB_URI to use a MongoDB server you run yourself.',
    );
  }
  const deadline = Date.now() + BUILD_WAIT_MS;
  let announced = false;
  for (;;) {
    const lock = tryLock(buildLock);
    if (lock.acquired) {
      try {
        // Whoever held the lock before may have built it while we waited.
        if (!isBuilt()) build(go.stdout.trim(), progress);
        return ferretdbBinary;
      } finally {
        lock.release();
      }
    }
    if (Date.now() > deadline) {
      throw new DatabaseBuildError(
        `Another process (pid ${lock.holder}) has been building FerretDB for over ${BUILD_WAIT_MS / 60_000} minutes. ` +
          `If it is stuck, stop it (or delete ${buildLock}) and try again.`,
      );
    }
    if (!announced) progress(`waiting for another process (pid ${lock.holder}) that is building FerretDB ${FERRETDB_VERSION}`);
    announced = true;
    sleepSync(500);
  }
}

/** Builds into temporary paths and renames into place, so an interrupted build never looks finished. Call with buildLock held. */
function build(goVersion: string, progress: Progress) {
  removeLeftovers();
  progress(`building FerretDB ${FERRETDB_VERSION} with ${goVersion} (first run only; takes a minute or two)`);
  const download = run('go', ['mod', 'download', '-json', `${FERRETDB_MODULE}@${FERRETDB_VERSION}`], toolsDir);
  const moduleDir = (JSON.parse(download) as { Dir: string }).Dir;

  // FerretDB's own binary refuses to start without build/version/version.txt, which its
  // release tooling writes from git. The module zip lacks it, so build from a copy that has it.
  const unique = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const sourceDir = join(toolsDir, `ferretdb-src-${unique}`);
  const partial = join(binDir, `ferretdb.${unique}.partial`);
  try {
    cpSync(moduleDir, sourceDir, { recursive: true });
    chmodRecursive(sourceDir);
    writeFileSync(join(sourceDir, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
    mkdirSync(binDir, { recursive: true });
    run('go', ['build', '-buildvcs=false', '-trimpath', '-o', partial, './cmd/ferretdb'], sourceDir);
    renameSync(partial, ferretdbBinary);
    writeFileSync(`${versionStamp}.${unique}.partial`, `${FERRETDB_VERSION}\n`);
    renameSync(`${versionStamp}.${unique}.partial`, versionStamp);
  } finally {
    removeTree(sourceDir);
    rmSync(partial, { force: true });
    rmSync(`${versionStamp}.${unique}.partial`, { force: true });
  }
  progress(`FerretDB built at ${ferretdbBinary}`);
}

/** Source folders and partial files of builds whose process is gone (killed mid-build). */
function removeLeftovers() {
  const ownerIsGone = (name: string, pattern: RegExp) => {
    const match = pattern.exec(name);
    return match !== null && (match[1] === undefined || !isRunning(Number(match[1])));
  };
  for (const name of safeReaddir(toolsDir)) {
    if (ownerIsGone(name, /^ferretdb-src(?:-(\d+)-[0-9a-f]+)?$/)) removeTree(join(toolsDir, name));
    if (ownerIsGone(name, /^ferretdb-build\.lock\.(\d+)-[0-9a-f]+\.(?:tmp|stale)$/)) rmSync(join(toolsDir, name), { force: true });
  }
  for (const name of safeReaddir(binDir)) {
    if (ownerIsGone(name, /^ferretdb(?:\.version)?\.(?:(\d+)-[0-9a-f]+\.)?partial$/)) rmSync(join(binDir, name), { force: true });
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function removeTree(dir: string) {
  if (!existsSync(dir)) return;
  chmodRecursive(dir); // copies of the Go module cache are read-only
  rmSync(dir, { recursive: true, force: true });
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

function sleepSync(ms: number) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

// --- Lock files: a file holding the owner's pid; a lock whose owner is no longer running is stale.

export type LockAttempt = { acquired: true; release(): void } | { acquired: false; holder: number };

/**
 * Takes the lock file at `path` for this process, unless a running process holds it.
 * The file is created with its content in one step (hard link of a finished temporary
 * file), so nobody ever reads a half-written lock. A stale lock is taken over.
 */
export function tryLock(path: string): LockAttempt {
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 10; attempt++) {
    const temp = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(temp, `${process.pid} ${processIdentity(process.pid) ?? ''}\n`);
    try {
      linkSync(temp, path);
      return { acquired: true, release: () => releaseLock(path) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      rmSync(temp, { force: true });
    }
    const holder = lockRecord(path);
    if (holder === undefined) continue; // released in the meantime
    if (holder.pid !== process.pid && isRunning(holder.pid) && stillTheHolder(holder)) return { acquired: false, holder: holder.pid };
    removeStaleLock(path, holder.pid);
  }
  throw new Error(`could not take the lock file ${path}: it keeps changing hands`);
}

/**
 * What a lock file says of its holder: its pid (0 when unreadable) and when it started
 * (processIdentity; absent in a lock written before locks recorded it). Undefined when there is
 * no lock file.
 */
function lockRecord(path: string): { pid: number; started?: string } | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const [pidText, started] = text.trim().split(/\s+/);
  const pid = Number.parseInt(pidText ?? '', 10);
  return { pid: Number.isInteger(pid) && pid > 0 ? pid : 0, started: started || undefined };
}

/**
 * Whether the running `pid` is the process that wrote the lock, not another that was given its
 * pid after the holder died (a reboot, a crash of the whole machine): the lock records when its
 * holder started (processIdentity). A lock that records nothing (written before it did) holds only
 * while its pid runs Node.js, as every holder does; where there is no /proc, at its pid's word.
 */
function stillTheHolder({ pid, started }: { pid: number; started?: string }): boolean {
  const now = processIdentity(pid);
  if (!now) return true;
  if (started) return started === now;
  try {
    return programOf(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).startsWith('node');
  } catch {
    return true;
  }
}

function removeStaleLock(path: string, stalePid: number) {
  // Move it aside rather than delete it, then check that what was moved is the stale lock: another
  // process may have taken it over between our read and the move, and then its lock is put back.
  const aside = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.stale`;
  try {
    renameSync(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    if (lockRecord(aside)?.pid !== stalePid) linkSync(aside, path);
  } catch {
    // someone created a new lock meanwhile: theirs stands
  } finally {
    rmSync(aside, { force: true });
  }
}

function releaseLock(path: string) {
  try {
    if (lockRecord(path)?.pid === process.pid) rmSync(path, { force: true });
  } catch {
    // its folder is gone or unreadable: nothing left to release
  }
}

export function isRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export type EmbeddedHandler = 'postgresql' | 'sqlite';

/** EMBEDDED_DB picks FerretDB's storage: PostgreSQL (the default) or SQLite (for machines where the embedded PostgreSQL cannot run). */
export function embeddedHandler(value = process.env.EMBEDDED_DB): EmbeddedHandler {
  const handler = (value ?? 'postgresql').trim().toLowerCase();
  if (handler === 'postgresql' || handler === 'sqlite') return handler;
  throw new DatabaseBuildError(`EMBEDDED_DB=${value}: use postgresql (the default) or sqlite`);
}

export interface RunningDatabase {
  uri: string;
  port: number;
  handler: EmbeddedHandler;
  /** The PostgreSQL behind FerretDB (postgresql handler only), for tools and tests that look into it. */
  postgresUrl?: string;
  process: ChildProcess;
  /** Where FerretDB writes its own messages (see DaemonLog). */
  logPath: string;
  /** Set when FerretDB was stopped because its PostgreSQL exited under it, or for a hang, before FerretDB's own exit. */
  stoppedBecause?: string;
  /**
   * Ends a FerretDB that hangs, for whoever watches its exit to start it again: SIGQUIT first, on
   * which Go writes every goroutine's stack to its log (what it was stuck on) and exits; SIGKILL
   * if it has not exited 5 s later.
   */
  endHung(why: string): void;
  stop(): Promise<void>;
}

/**
 * Starts FerretDB on a free loopback port with its data in `dataDir`, and waits until it answers.
 * With the PostgreSQL handler it first starts a private PostgreSQL cluster in `dataDir/postgresql`.
 */
export async function startFerretDb(options: {
  dataDir: string;
  port?: number;
  logLevel?: string;
  handler?: EmbeddedHandler;
  /** The caller holds the data folder's lock: a FerretDB or PostgreSQL left running there by a killed launcher is stopped first. */
  adoptOrphan?: boolean;
  /**
   * Run in process groups of their own, out of reach of the terminal's Ctrl-C, so that the
   * caller stops them last, once nothing uses them (the launcher).
   */
  ownProcessGroup?: boolean;
  /** The most connections its clients open to it together (see postgresConnectionsFor); default: 20 processes' worth. */
  clientConnections?: number;
}): Promise<RunningDatabase> {
  const binary = ensureFerretDb();
  const handler = options.handler ?? embeddedHandler();
  mkdirSync(options.dataDir, { recursive: true });
  const pidFile = join(options.dataDir, 'ferretdb.pid');
  if (options.adoptOrphan) await stopOrphan(pidFile, options.dataDir);
  const pool = postgresConnectionsFor(options.clientConnections ?? DEFAULT_CLIENT_CONNECTIONS);
  const postgres =
    handler === 'postgresql'
      ? await startPostgres({
          clusterDir: join(options.dataDir, 'postgresql'),
          port: await freePort(),
          // FerretDB's pool, and a few for the lookup indexes' installer and for tools.
          maxConnections: pool + 10,
          adoptOrphan: options.adoptOrphan,
          ownProcessGroup: options.ownProcessGroup,
        })
      : undefined;
  const port = options.port || (await freePort());
  // Its own messages (warnings, a panic, a goroutine dump on SIGQUIT) go to a file in the data folder.
  const log = new DaemonLog(join(options.dataDir, 'ferretdb.log'));
  const child = spawn(
    binary,
    [
      `--handler=${handler}`,
      ...(handler === 'sqlite' ? [`--sqlite-url=file:${options.dataDir}/`] : []),
      `--state-dir=${options.dataDir}`,
      `--listen-addr=127.0.0.1:${port}`,
      // FERRETDB_DEBUG_ADDR (e.g. 127.0.0.1:8088) serves FerretDB's own metrics: requests per command.
      `--debug-addr=${process.env.FERRETDB_DEBUG_ADDR || '-'}`,
      '--telemetry=disable',
      `--log-level=${options.logLevel ?? 'WARN'}`,
      '--log-format=text',
    ],
    // The URL carries the cluster's password: the environment keeps it out of `ps`.
    {
      stdio: ['ignore', 'ignore', log.fd],
      env: { ...goMemorySettings(process.env), ...(postgres ? { FERRETDB_POSTGRESQL_URL: ferretdbPostgresUrl(postgres, pool) } : {}) },
      detached: options.ownProcessGroup ?? false,
    },
  );
  log.spawned(child);
  if (options.adoptOrphan && child.pid) writeFileSync(pidFile, String(child.pid));
  const uri = `mongodb://127.0.0.1:${port}/`;
  let stopping = false;
  let stoppedBecause: string | undefined;
  // FerretDB outlives a PostgreSQL that dies under it, failing every operation for good. It is
  // stopped with it, so that whoever watches FerretDB (the launcher) starts both again.
  postgres?.process.once('exit', (code, signal) => {
    if (stopping) return;
    stoppedBecause = `its PostgreSQL exited unexpectedly (${signal ?? `code ${code}`})`;
    child.kill('SIGKILL');
  });
  try {
    await waitForMongo(uri, child, () => log.tail());
  } catch (error) {
    stopping = true;
    child.kill('SIGKILL');
    await postgres?.stop();
    // Its PostgreSQL died first, and FerretDB was stopped for it: name the one that failed.
    throw stoppedBecause ? new Error(`FerretDB could not start: ${stoppedBecause}`) : error;
  }
  return {
    uri,
    port,
    handler,
    postgresUrl: postgres?.url,
    process: child,
    logPath: log.path,
    get stoppedBecause() {
      return stoppedBecause;
    },
    endHung(why) {
      if (stopping || child.exitCode !== null || child.signalCode !== null) return;
      stoppedBecause = why;
      void stopChild(child, 5_000, 'SIGQUIT');
    },
    async stop() {
      stopping = true;
      await stopChild(child, 10_000);
      if (options.adoptOrphan) rmSync(pidFile, { force: true });
      await postgres?.stop();
    },
  };
}

/**
 * Connections FerretDB may open to PostgreSQL for clients that together open at most
 * `clientConnections` to it: none of them ever waits for one for good.
 *
 * FerretDB 1.24 waits for a pool connection without a deadline, and two of its ways of waiting
 * can close a cycle. An update holds two at once: its read's, kept open while it writes in a
 * transaction of its own. And creating a collection or an index holds its catalogue's lock
 * while it waits for one, while an update waits for that lock holding its read's. With as many
 * updates under way as connections, each holding one and waiting for another (or for the lock),
 * nothing moves again, and FerretDB answers nothing until it is restarted: seen with its default
 * of 50 when subgraphs killed under load started again, and every time with 20 connections and 40
 * updates at once (docs/benchmarks.md, "2026-12-05 (6)"). Each client connection carries one
 * request at a time, so twice the clients' connections, and some for a creation and for requests
 * of a process just killed still running, cannot all be held.
 * PostgreSQL opens a backend only when FerretDB asks for it.
 */
export const postgresConnectionsFor = (clientConnections: number) => 2 * clientConnections + 20;

/** What a FerretDB started without saying is sized for: 20 processes with a full pool each (kit/mongo.ts). */
const DEFAULT_CLIENT_CONNECTIONS = 20 * MONGO_POOL_SIZE;

/**
 * How FerretDB connects to its PostgreSQL.
 *
 * - Its sessions log no errors in PostgreSQL's log: every one is an answer FerretDB passes on (a
 *   key taken, a compare-and-swap refused: kit/guarded-replace.ts), a normal outcome here that
 *   would otherwise add three lines to the log each time, for as long as the system runs. What
 *   the server itself reports (start, stop, a crash, a failed connection) is still logged.
 * - Its pool holds `connections` (see postgresConnectionsFor; FerretDB's default is 50).
 * - It connects through the cluster's Unix socket where there is one (`host` names its folder;
 *   the port in the URL names the socket), else over loopback TCP.
 */
function ferretdbPostgresUrl(postgres: RunningPostgres, connections: number): string {
  const quiet = new URL(postgres.url);
  if (postgres.socketDir) quiet.searchParams.set('host', postgres.socketDir);
  quiet.searchParams.set('log_min_messages', 'fatal');
  quiet.searchParams.set('pool_max_conns', String(connections));
  return quiet.toString();
}

async function waitForMongo(uri: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`FerretDB exited (${child.signalCode ?? `code ${child.exitCode}`}) before it answered${quoted(stderr())}`);
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
  throw new Error(`FerretDB did not answer on ${uri} within 30 s${quoted(stderr())}`);
}

/**
 * A port that is free now and that outgoing connections will not take later. Ports
 * are chosen below the kernel's ephemeral range: a port from that range, kept for a
 * process that starts (or restarts) later, can meanwhile become the source port of some
 * connection, and the later listen fails with EADDRINUSE.
 */
/**
 * A FerretDB left running by a launcher that was killed outright: its pid file names a live
 * ferretdb started on this data folder. Not any process whose command line mentions ferretdb:
 * after a crash of the machine the pid may be anyone's (an operator's `tail -f .../ferretdb.log`).
 */
async function stopOrphan(pidFile: string, dataDir: string): Promise<void> {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(pidFile, 'utf8'), 10);
    if (!isDatabaseOf(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), dataDir)) return;
  } catch {
    return;
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && existsSync(`/proc/${pid}`)) await new Promise((resolve) => setTimeout(resolve, 100));
}

/** The pids of the database processes (FerretDB, PostgreSQL) started on `dataDir`. */
export function databaseProcessesOf(dataDir: string): number[] {
  return pidsWhere((pid) => isDatabaseOf(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), dataDir));
}

/** Whether a command line (`/proc/<pid>/cmdline`) runs FerretDB or PostgreSQL itself, with arguments naming `dataDir`. */
function isDatabaseOf(args: string, dataDir: string): boolean {
  return ['ferretdb', 'postgres'].includes(programOf(args)) && args.includes(dataDir);
}

/**
 * Kills outright the database started on `dataDir`. For harnesses that kill a launcher's
 * process group: the database runs in groups of its own (out of reach of a terminal's
 * Ctrl-C), so killing the launcher's group leaves it running.
 */
export function killDatabaseOf(dataDir: string): void {
  for (const pid of databaseProcessesOf(dataDir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

export async function freePort(): Promise<number> {
  const below = ephemeralRangeStart();
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 10_000 + Math.floor(Math.random() * (below - 10_000));
    // A port handed out earlier may not be listened on yet: never hand it out twice. 10080 is on
    // the fetch standard's list of ports no fetch() may reach ("bad port"), the only one above 10000.
    if (port === FETCH_BLOCKED_PORT || handedOut.has(port) || !(await canListen(port))) continue;
    handedOut.add(port);
    return port;
  }
  return listenOnce(0);
}

const handedOut = new Set<number>();
const FETCH_BLOCKED_PORT = 10_080;

/**
 * Ports the caller will listen on later (the launcher's services, checked free before the database
 * starts): never handed out for the database, which starts first and would take one of them.
 */
export function keepPortsFromDatabase(ports: Iterable<number>): void {
  for (const port of ports) handedOut.add(port);
}

function ephemeralRangeStart(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(low) && low > 11_000) return low;
  } catch {
    // Not Linux: the common default below.
  }
  return 32_768;
}

function canListen(port: number): Promise<boolean> {
  return listenOnce(port).then(
    () => true,
    () => false,
  );
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(bound));
    });
  });
}
