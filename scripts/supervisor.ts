import type { ChildProcess } from 'node:child_process';
import { stopChild } from './stop-child.ts';

// The launcher's supervision: a child that exits while the system is not stopping is started
// again after a pause that doubles with each crash in the window (so a process that cannot
// start does not spin), and is given up on after too many crashes in that window; the rest
// keeps running either way.

export interface SupervisionPolicy {
  /** Pause before the first restart; doubles with each further crash in the window. */
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** A process that crashes more than `maxRestarts` times within `windowMs` is given up on. */
  maxRestarts: number;
  windowMs: number;
}

export const defaultPolicy: SupervisionPolicy = { initialBackoffMs: 500, maxBackoffMs: 8_000, maxRestarts: 5, windowMs: 60_000 };

/** SUPERVISE_MAX_RESTARTS / SUPERVISE_WINDOW_MS / SUPERVISE_BACKOFF_MS override the policy (tests, operators). */
export function policyFromEnv(env: NodeJS.ProcessEnv, fallback = defaultPolicy): SupervisionPolicy {
  const number = (name: string, value: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return value;
    const parsed = Number(raw);
    if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`${name}=${raw} must be a whole number of 0 or more`);
    return parsed;
  };
  return {
    initialBackoffMs: number('SUPERVISE_BACKOFF_MS', fallback.initialBackoffMs),
    maxBackoffMs: Math.max(number('SUPERVISE_BACKOFF_MS', fallback.initialBackoffMs), fallback.maxBackoffMs),
    maxRestarts: number('SUPERVISE_MAX_RESTARTS', fallback.maxRestarts),
    windowMs: number('SUPERVISE_WINDOW_MS', fallback.windowMs),
  };
}

/**
 * Counts a stop at `now` with the earlier ones still within the policy's window: whether that is
 * too many, and the pause before starting again (doubling with each stop in the window).
 */
export function countStop(policy: SupervisionPolicy, earlier: readonly number[], now = Date.now()) {
  const stops = [...earlier.filter((at) => now - at < policy.windowMs), now];
  return { stops, tooMany: stops.length > policy.maxRestarts, pauseMs: Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** (stops.length - 1)) };
}

export interface SupervisedChild {
  readonly name: string;
  /** The running process (the newest one after a restart). */
  readonly child: ChildProcess;
  /** How many times it has been started again. */
  readonly restarts: number;
  readonly gaveUp: boolean;
}

interface Entry {
  name: string;
  child: ChildProcess;
  restarts: number;
  gaveUp: boolean;
  crashes: number[];
  spawn: () => ChildProcess;
  /** After a restart: resolves once the new process serves (services wait for /health). */
  ready?: (child: ChildProcess) => Promise<void>;
  timer?: NodeJS.Timeout;
}

export class Supervisor {
  private readonly entries: Entry[] = [];
  private stopping = false;

  constructor(
    private readonly say: (message: string) => void,
    private readonly policy: SupervisionPolicy = defaultPolicy,
  ) {}

  /** Starts a process and keeps it running. */
  add(name: string, spawn: () => ChildProcess, ready?: (child: ChildProcess) => Promise<void>): SupervisedChild {
    const entry: Entry = { name, child: spawn(), restarts: 0, gaveUp: false, crashes: [], spawn, ready };
    this.entries.push(entry);
    this.watch(entry);
    return entry;
  }

  get children(): readonly SupervisedChild[] {
    return this.entries;
  }

  private watch(entry: Entry) {
    const child = entry.child;
    child.once('exit', (code, signal) => {
      if (this.stopping || entry.child !== child) return;
      const how = signal ?? `code ${code}`;
      const { stops, tooMany, pauseMs: delay } = countStop(this.policy, entry.crashes);
      entry.crashes = stops;
      if (tooMany) {
        entry.gaveUp = true;
        this.say(
          `giving up on ${entry.name}: it exited ${entry.crashes.length} times within ${Math.round(this.policy.windowMs / 1000)} s (last: ${how}); ` +
            'everything else keeps running. Fix the cause and start it again (restart npm start)',
        );
        return;
      }
      this.say(`${entry.name} (pid ${child.pid}) exited unexpectedly (${how}); restarting it in ${(delay / 1000).toFixed(1)} s (restart ${entry.restarts + 1})`);
      entry.timer = setTimeout(() => this.restart(entry), delay);
    });
  }

  private restart(entry: Entry) {
    entry.timer = undefined;
    if (this.stopping) return;
    entry.child = entry.spawn();
    entry.restarts++;
    this.watch(entry);
    const started = entry.child;
    const up = entry.ready ? entry.ready(started) : Promise.resolve();
    up.then(
      () => {
        if (!this.stopping && entry.child === started) this.say(`${entry.name} is running again (pid ${started.pid}, restarts: ${entry.restarts})`);
      },
      () => {
        // it exited before it served: its exit handler counts the crash
      },
    );
  }

  /**
   * Stops every process: the groups in the order given (those that call others first, so that
   * nothing logs errors about a service or database that went away before it), each group at
   * once; SIGKILL for any that has not exited after `graceMs`.
   */
  async stop(order: ((name: string) => boolean)[], graceMs = 5_000) {
    this.stopping = true;
    for (const entry of this.entries) clearTimeout(entry.timer);
    const remaining = new Set(this.entries);
    for (const inGroup of [...order, () => true]) {
      const group = [...remaining].filter((entry) => inGroup(entry.name));
      group.forEach((entry) => remaining.delete(entry));
      await Promise.all(group.map((entry) => stopChild(entry.child, graceMs)));
    }
  }
}
