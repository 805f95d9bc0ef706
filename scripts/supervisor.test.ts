import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { policyFromEnv, Supervisor } from './supervisor.ts';

// Real processes: node running a line of script.
const node = (script: string) => () => spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
const forever = 'setInterval(() => {}, 1000); process.on("SIGTERM", () => setTimeout(() => process.exit(0), 50))';

async function until(condition: () => boolean, withinMs = 10_000) {
  const deadline = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('Supervisor', () => {
  it('starts a killed process again, with a pause that doubles, and leaves the others alone', async () => {
    const lines: string[] = [];
    const supervisor = new Supervisor((line) => lines.push(line), { initialBackoffMs: 100, maxBackoffMs: 1_000, maxRestarts: 5, windowMs: 60_000 });
    const victim = supervisor.add('payments-worker-1', node(forever));
    const bystander = supervisor.add('orders', node(forever));
    const bystanderPid = bystander.child.pid;
    const first = victim.child.pid!;
    process.kill(first, 'SIGKILL');
    await until(() => victim.child.pid !== first && victim.restarts === 1);
    const second = victim.child.pid!;
    process.kill(second, 'SIGKILL');
    await until(() => victim.child.pid !== second && victim.restarts === 2);
    expect(lines.filter((line) => line.includes('exited unexpectedly'))).toEqual([
      `payments-worker-1 (pid ${first}) exited unexpectedly (SIGKILL); restarting it in 0.1 s (restart 1)`,
      `payments-worker-1 (pid ${second}) exited unexpectedly (SIGKILL); restarting it in 0.2 s (restart 2)`,
    ]);
    expect(bystander.child.pid).toBe(bystanderPid);
    expect(bystander.restarts).toBe(0);
    await supervisor.stop([]);
    expect(victim.child.exitCode ?? victim.child.signalCode).not.toBeNull();
  });

  it('gives up on a process that keeps crashing within the window, says so, and keeps the rest running', async () => {
    const lines: string[] = [];
    const supervisor = new Supervisor((line) => lines.push(line), { initialBackoffMs: 10, maxBackoffMs: 40, maxRestarts: 3, windowMs: 60_000 });
    const crasher = supervisor.add('rebin', node('process.exit(3)'));
    const steady = supervisor.add('tracking', node(forever));
    await until(() => crasher.gaveUp);
    expect(crasher.restarts).toBe(3);
    expect(lines.at(-1)).toMatch(/^giving up on rebin: it exited 4 times within 60 s \(last: code 3\); everything else keeps running/);
    // Given up means given up: nothing more is started.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(crasher.restarts).toBe(3);
    expect(steady.child.exitCode).toBeNull();
    await supervisor.stop([]);
  });

  it('stops the groups in the order given, each only after the one before has exited', async () => {
    const supervisor = new Supervisor(() => {}, policyFromEnv({}));
    const exits: string[] = [];
    for (const name of ['customers', 'gateway', 'payments-worker-1', 'orders']) {
      supervisor.add(name, node(forever)).child.once('exit', () => exits.push(name));
    }
    await supervisor.stop([(name) => name === 'gateway' || name.includes('-worker-')]);
    expect(exits.slice(0, 2).sort()).toEqual(['gateway', 'payments-worker-1']);
    expect(exits.slice(2).sort()).toEqual(['customers', 'orders']);
  });

  it('reads its policy from the environment, and refuses what is not a number', () => {
    expect(policyFromEnv({ SUPERVISE_MAX_RESTARTS: '2', SUPERVISE_WINDOW_MS: '1000', SUPERVISE_BACKOFF_MS: '100' })).toMatchObject({ maxRestarts: 2, windowMs: 1000, initialBackoffMs: 100 });
    expect(() => policyFromEnv({ SUPERVISE_MAX_RESTARTS: 'many' })).toThrow('SUPERVISE_MAX_RESTARTS=many must be a whole number of 0 or more');
  });
});
