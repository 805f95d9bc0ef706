import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from './ferretdb.ts';
import { startPostgres } from './postgres.ts';
import { processState } from './processes.ts';

// A PostgreSQL backend runs in a session of its own. One that is stuck (here: paused) outlives a
// postmaster killed after its grace and holds the cluster's shared memory: every later start on
// the folder failed ("pre-existing shared memory block ... is still in use") until it was killed
// by hand, so the launcher's restart of a hung database gave up and stopped the system.

/** Whether a process runs (a killed one may stay a zombie a moment, until it is reaped). */
const alive = (pid: number) => processState(pid)?.alive === true;

/** Whether the cluster at `url` answers a query. */
async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query('SELECT 1 AS one')).rows[0]?.one === 1;
  } finally {
    await client.end();
  }
}

const dataDir = mkdtempSync(join(tmpdir(), 'postgres-leftovers-'));
const stuck: number[] = [];
afterAll(() => {
  for (const pid of stuck) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // killed by the code under test
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the embedded PostgreSQL with a stuck backend', () => {
  it('starts again on its folder once the postmaster was killed, ending the backend left behind', async () => {
    const clusterDir = join(dataDir, 'postgresql');
    const first = await startPostgres({ clusterDir, port: await freePort(), adoptOrphan: true, ownProcessGroup: true });
    const client = new pg.Client({ connectionString: first.url });
    await client.connect();
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const backend = rows[0]!.pid;
    stuck.push(backend);
    client.on('error', () => {});
    process.kill(backend, 'SIGSTOP');
    first.process.kill('SIGKILL');
    await new Promise((resolve) => first.process.once('exit', resolve));
    expect(alive(backend)).toBe(true);

    const second = await startPostgres({ clusterDir, port: await freePort(), adoptOrphan: true, ownProcessGroup: true });
    try {
      expect(alive(backend)).toBe(false);
      expect(await answers(second.url)).toBe(true);
    } finally {
      await second.stop();
    }
  }, 120_000);

  it('starts over a pid file its killed postmaster left, whose pid another process was given since, and leaves that process alone', async () => {
    const clusterDir = join(dataDir, 'postgresql');
    const first = await startPostgres({ clusterDir, port: await freePort(), adoptOrphan: true, ownProcessGroup: true });
    first.process.kill('SIGKILL');
    await new Promise((resolve) => first.process.once('exit', resolve));
    // The pid file as the killed postmaster left it, but naming another process (here: a sleep).
    const other = spawn('sleep', ['600'], { stdio: 'ignore' });
    stuck.push(other.pid!);
    const pidFile = join(clusterDir, 'postmaster.pid');
    const lines = readFileSync(pidFile, 'utf8').split('\n');
    writeFileSync(pidFile, [String(other.pid), ...lines.slice(1)].join('\n'));
    const second = await startPostgres({ clusterDir, port: await freePort(), adoptOrphan: true, ownProcessGroup: true });
    try {
      expect(alive(other.pid!)).toBe(true);
      expect(await answers(second.url)).toBe(true);
    } finally {
      await second.stop();
    }
  }, 120_000);
});
