import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isRunning as alive, projectRoot } from '../scripts/ferretdb.ts';
import { endsWithin } from './shutdown.ts';

// Real processes: a "launcher" that starts one supervised process and reports its pid.

const tsx = import.meta.resolve('tsx');
const shutdownModule = join(projectRoot, 'kit/shutdown.ts');
/** A process that stops (printing "stopped") the way every service does. */
const supervisedScript = `
  const { onShutdown } = await import(${JSON.stringify(shutdownModule)});
  onShutdown(async () => { process.stdout.write('stopped\\n'); process.exit(0); });
  process.stdout.write('ready\\n');
  setInterval(() => {}, 1000);
`;
/** Starts the supervised process with SUPERVISOR_PID set to its own pid, passes its output on, and says its pid. */
const launcherScript = `
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['--import', ${JSON.stringify(tsx)}, '--input-type=module', '-e', ${JSON.stringify(supervisedScript)}], {
    env: { ...process.env, SUPERVISOR_PID: String(process.pid) }, stdio: ['ignore', 'inherit', 'inherit'],
  });
  process.stdout.write('child ' + child.pid + '\\n');
  setInterval(() => {}, 1000);
`;

const started: ChildProcess[] = [];
const childPids: number[] = [];
afterEach(() => {
  for (const pid of childPids.splice(0)) tryKill(pid);
  for (const process of started.splice(0)) process.kill('SIGKILL');
});

function tryKill(pid: number) {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

async function launch() {
  const launcher = spawn(process.execPath, ['--input-type=module', '-e', launcherScript], { stdio: ['ignore', 'pipe', 'inherit'] });
  started.push(launcher);
  let output = '';
  launcher.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await until(() => /child \d+/.test(output) && output.includes('ready'));
  const pid = Number(/child (\d+)/.exec(output)![1]);
  childPids.push(pid);
  return { launcher, pid, output: () => output };
}

async function until(check: () => boolean, withinMs = 20_000) {
  const deadline = Date.now() + withinMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('not in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a process under the launcher', () => {
  it('leaves a Ctrl-C to the launcher and stops on its SIGTERM', async () => {
    const { pid, output } = await launch();
    process.kill(pid, 'SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(alive(pid)).toBe(true);
    process.kill(pid, 'SIGTERM');
    await until(() => output().includes('stopped'));
  });

  it('stops by itself, cleanly, when its launcher was killed outright', async () => {
    const { launcher, pid, output } = await launch();
    launcher.kill('SIGKILL');
    await until(() => output().includes('stopped') || !alive(pid), 10_000);
    await until(() => !alive(pid), 10_000);
  });
});

describe('a bounded step of a stop', () => {
  it('gives up on a step that never ends, and says so', async () => {
    const started = Date.now();
    expect(await endsWithin(new Promise(() => {}), 100)).toBe(false);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('waits for a step that ends in time, failed or not', async () => {
    expect(await endsWithin(new Promise((resolve) => setTimeout(resolve, 50)), 5_000)).toBe(true);
    expect(await endsWithin(Promise.reject(new Error('the database is gone')), 5_000)).toBe(true);
  });
});
