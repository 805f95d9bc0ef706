import { spawn } from 'node:child_process';
import { getPriority } from 'node:os';
import { describe, expect, it } from 'vitest';
import { threadNiceness } from '../test/niceness.ts';
import { DEFAULT_WORKER_NICE, lowerPriority, workerNiceOffset } from './priority.ts';

/** Waits until Node.js has started its helper threads and its thread pool (the child's hash runs there). */
async function threadsStarted(pid: number) {
  const deadline = Date.now() + 10_000;
  while (threadNiceness(pid).length < 7) {
    if (Date.now() > deadline) throw new Error(`pid ${pid} started only ${threadNiceness(pid).length} threads`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the workers’ priority', () => {
  it('is 10 nice levels below the services unless WORKER_NICE says otherwise, and refuses what is not a niceness', () => {
    expect(workerNiceOffset({})).toBe(DEFAULT_WORKER_NICE);
    expect(DEFAULT_WORKER_NICE).toBe(10);
    expect(workerNiceOffset({ WORKER_NICE: '0' })).toBe(0);
    expect(workerNiceOffset({ WORKER_NICE: '19' })).toBe(19);
    expect(workerNiceOffset({ WORKER_NICE: ' ' })).toBe(DEFAULT_WORKER_NICE);
    expect(workerNiceOffset({ WORKER_NICE: ' 5 ' })).toBe(5);
    for (const bad of ['20', '-5', 'low', '2.5', '1e1', '0x5', '-0']) {
      expect(() => workerNiceOffset({ WORKER_NICE: bad })).toThrow(`WORKER_NICE=${bad} must be a whole number from 0`);
    }
  });

  it('is lowered on the threads a process already started too, had the launcher been held up', async () => {
    const child = spawn(process.execPath, ['-e', 'require("crypto").pbkdf2("a", "b", 1, 8, "sha256", () => {}); setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      await threadsStarted(child.pid!);
      lowerPriority(child.pid, 10, () => {});
      expect(new Set(threadNiceness(child.pid!))).toEqual(new Set([Math.min(19, getPriority() + 10)]));
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('is lowered on every thread of a process just started, relative to the launcher; a process already gone is a warning, not a crash', async () => {
    // The thread pool too: a hash on it starts its threads after the priority was set.
    const child = spawn(process.execPath, ['-e', 'require("crypto").pbkdf2("a", "b", 1, 8, "sha256", () => {}); setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const own = getPriority();
    const expected = Math.min(19, own + 10);
    try {
      const warnings: string[] = [];
      lowerPriority(child.pid, 10, (line) => warnings.push(line));
      await threadsStarted(child.pid!);
      expect(new Set(threadNiceness(child.pid!))).toEqual(new Set([expected]));
      expect(getPriority()).toBe(own); // the launcher itself stays as it was
      expect(warnings).toEqual([]);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      lowerPriority(child.pid, 10, (line) => warnings.push(line));
      expect(warnings).toEqual([expect.stringContaining(`could not lower the priority of pid ${child.pid}`)]);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
