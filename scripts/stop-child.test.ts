import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { stopChild } from './stop-child.ts';

// Real processes: node running a line of script, told it is ready once it listens for signals.
async function started(script: string) {
  const child = spawn(process.execPath, ['-e', `${script}; console.log('ready')`], { stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise((resolve) => child.stdout!.once('data', resolve));
  return child;
}

describe('stopChild', () => {
  it('stops a process with the signal asked for, which it may handle', async () => {
    const child = await started('setInterval(() => {}, 1000); process.on("SIGINT", () => process.exit(3))');
    await stopChild(child, 5_000, 'SIGINT');
    expect(child.exitCode).toBe(3);
  });

  it('kills a process that ignores the signal once the grace period is over', async () => {
    const ignoring = await started('setInterval(() => {}, 1000); process.on("SIGTERM", () => {})');
    const since = Date.now();
    await stopChild(ignoring, 300);
    expect(Date.now() - since).toBeGreaterThanOrEqual(250);
    expect(ignoring.signalCode).toBe('SIGKILL');
  });

  it('wakes a paused process to take the signal at once, rather than wait out the grace period to kill it', async () => {
    const paused = await started('setInterval(() => {}, 1000)');
    paused.kill('SIGSTOP');
    const since = Date.now();
    await stopChild(paused, 10_000, 'SIGINT');
    expect(Date.now() - since).toBeLessThan(5_000);
    expect(paused.signalCode).toBe('SIGINT');
  });
});
