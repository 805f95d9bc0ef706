import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { afterEach, describe, expect, it } from 'vitest';
import { DaemonLog } from './daemon-log.ts';
import { startFerretDb } from './ferretdb.ts';

const folders: string[] = [];
const folder = () => {
  const made = mkdtempSync(join(tmpdir(), 'daemon-log-'));
  folders.push(made);
  return made;
};
afterEach(() => {
  for (const made of folders.splice(0)) rmSync(made, { recursive: true, force: true });
});

/** A process writing `text` to its stderr, which is `log`; resolves once it exited. */
function writer(log: DaemonLog, text: string): Promise<void> {
  const child = spawn(process.execPath, ['-e', `process.stderr.write(${JSON.stringify(text)})`], { stdio: ['ignore', 'ignore', log.fd] });
  log.spawned(child);
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

describe("a database daemon's log", () => {
  it('keeps what each start wrote, and quotes only this start in an error message', async () => {
    const path = join(folder(), 'ferretdb.log');
    await writer(new DaemonLog(path), 'the first start\n');
    const second = new DaemonLog(path);
    await writer(second, 'panic: the second start\n');
    expect(readFileSync(path, 'utf8')).toBe('the first start\npanic: the second start\n');
    expect(second.tail()).toContain('panic: the second start');
    expect(second.tail()).not.toContain('the first start');
    expect(second.tail()).toContain(path);
  });

  it('starts again past 10 MB, keeping the one before as .1', async () => {
    const path = join(folder(), 'postgresql.log');
    writeFileSync(path, 'x'.repeat(10 * 1024 * 1024 + 1));
    await writer(new DaemonLog(path), 'after the rotation\n');
    expect(readFileSync(path, 'utf8')).toBe('after the rotation\n');
    expect(statSync(`${path}.1`).size).toBe(10 * 1024 * 1024 + 1);
  });

  it('stays bounded while its daemon runs: past its bound it is kept as .1 and begun again, and the daemon writes on', async () => {
    const path = join(folder(), 'ferretdb.log');
    const log = new DaemonLog(path, { maxBytes: 2_000, checkEveryMs: 50 });
    // 100 bytes every 5 ms for a second and a half: 30 KB in all.
    const script = `let n = 0; const t = setInterval(() => { process.stderr.write(String(n).padStart(99, '.') + '\\n'); if (++n === 300) clearInterval(t); }, 5)`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', log.fd] });
    log.spawned(child);
    let largest = 0;
    const watching = setInterval(() => (largest = Math.max(largest, statSync(path).size)), 10);
    await new Promise((resolve) => child.once('exit', resolve));
    clearInterval(watching);
    expect(largest).toBeLessThan(10_000);
    expect(statSync(`${path}.1`).size).toBeGreaterThan(2_000);
    // The daemon's last line landed in the file it was emptied to, not past a hole.
    const text = readFileSync(path, 'utf8');
    expect(text.trimEnd().split('\n').at(-1)).toBe('299'.padStart(99, '.'));
    expect(text.includes('\0')).toBe(false);
  });

  it("grows by no line per key taken or compare-and-swap refused: PostgreSQL's log keeps the server's own messages", async () => {
    const dataDir = folder();
    const database = await startFerretDb({ dataDir, handler: 'postgresql' });
    try {
      const client = await MongoClient.connect(database.uri);
      try {
        const docs = client.db('quiet').collection<{ _id: number; rev: number; revOf?: number }>('docs');
        await docs.insertOne({ _id: 1, rev: 1 });
        for (let i = 0; i < 3; i++) {
          await expect(docs.insertOne({ _id: 1, rev: 1 })).rejects.toThrow(/duplicate key/i);
          await expect(docs.replaceOne({ _id: 1 }, { rev: 2, revOf: 5 })).rejects.toThrow();
        }
      } finally {
        await client.close();
      }
    } finally {
      await database.stop();
    }
    const log = readFileSync(join(dataDir, 'postgresql.log'), 'utf8');
    expect(log).toContain('database system is ready to accept connections');
    expect(log).not.toMatch(/ERROR|STATEMENT/);
  }, 120_000);

  it("holds FerretDB's goroutine dump, asked for with SIGQUIT, for a FerretDB that stopped answering", async () => {
    const dataDir = folder();
    const database = await startFerretDb({ dataDir, handler: 'sqlite' });
    const exited = new Promise((resolve) => database.process.once('exit', resolve));
    database.process.kill('SIGQUIT');
    await exited;
    await database.stop();
    const log = readFileSync(join(dataDir, 'ferretdb.log'), 'utf8');
    expect(log).toContain('SIGQUIT');
    expect(log).toMatch(/^goroutine \d+ .*\[/m);
  }, 60_000);
});
