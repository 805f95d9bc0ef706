import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { databaseProcessesOf, tryLock } from './ferretdb.ts';
import { processIdentity } from './processes.ts';

// After the whole machine went down (or every process was killed), the pid files left in the data
// folder name pids that other processes may have been given since. The launcher must neither take
// them for its own (refusing to start, "another npm start (pid ...) is using ...") nor signal them
// (an operator's `tail -f` of FerretDB's log was sent SIGTERM).

const dir = mkdtempSync(join(tmpdir(), 'reused-pids-'));
const others: ChildProcess[] = [];
afterAll(() => {
  for (const child of others) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** A process that runs until killed, started as `command` with these arguments. */
function stranger(command: string, args: string[]): number {
  const child = spawn(command, args, { stdio: 'ignore' });
  others.push(child);
  return child.pid!;
}

describe('pids the launcher finds in its data folder', () => {
  it('a lock whose pid now belongs to another process is stale, and the launcher takes it', () => {
    const lock = join(dir, 'npm-start.lock');
    const other = stranger('sleep', ['600']);
    // The holder died; its pid was given to `sleep`, which started later than the lock says.
    writeFileSync(lock, `${other} 00000000-0000-0000-0000-000000000000:1\n`);
    const taken = tryLock(lock);
    expect(taken.acquired).toBe(true);
    if (taken.acquired) taken.release();
    // The process that wrote the lock still runs: the lock stands.
    writeFileSync(lock, `${other} ${processIdentity(other)}\n`);
    expect(tryLock(lock)).toEqual({ acquired: false, holder: other });
    // A lock written before locks recorded their holder's start names only a pid: it holds while a Node.js process has it.
    writeFileSync(lock, `${other}\n`);
    const old = tryLock(lock);
    expect(old.acquired).toBe(true);
    if (old.acquired) old.release();
    const node = stranger(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    writeFileSync(lock, `${node}\n`);
    expect(tryLock(lock)).toEqual({ acquired: false, holder: node });
  });

  it("only FerretDB or PostgreSQL themselves, started on this folder, are the database's processes", async () => {
    const dataDir = join(dir, 'data');
    // A stand-in for the database: node, under FerretDB's name, with this folder in its arguments.
    const ferretdb = join(dir, 'ferretdb');
    symlinkSync(process.execPath, ferretdb);
    const ours = stranger(ferretdb, ['-e', 'setInterval(() => {}, 1000)', '--', `--state-dir=${dataDir}`]);
    const tail = stranger('tail', ['-f', join(dataDir, 'ferretdb.log'), '/dev/null']);
    const elsewhere = stranger(ferretdb, ['-e', 'setInterval(() => {}, 1000)', '--', `--state-dir=${join(dir, 'another')}`]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const found = databaseProcessesOf(dataDir);
    expect(found).toContain(ours);
    expect(found).not.toContain(tail);
    expect(found).not.toContain(elsewhere);
  });
});
