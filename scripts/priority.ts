import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/**
 * The launcher runs every process of the system on one machine, where the stage workers (the
 * background: draining queues, relaying hand-offs) compete for the same cores as the services a
 * client waits on. Measured on 2 cores (docs/benchmarks.md), a burst of 300 placements took
 * 37-45 s with everything at the same priority and 11-15 s with the workers 10 nice levels below
 * the services, and the orders shipped at about the same rate. So the workers yield the CPU to
 * the subgraphs and the gateway when they compete, and use it all when nobody else needs it.
 *
 * The embedded database is not ranked against them: it runs in a session of its own (so that
 * Ctrl-C reaches it last), and where the kernel groups processes by session (autogroup, on in
 * many Linux kernels and on this project's machines) niceness only orders processes within a
 * group.
 *
 * WORKER_NICE: how many nice levels below the launcher the workers run, 0 (as urgent as the
 * services) to 19; default 10. Relative, so `nice -n 5 npm start` keeps the same order.
 */
export const DEFAULT_WORKER_NICE = 10;

export function workerNiceOffset(env: NodeJS.ProcessEnv): number {
  const raw = env.WORKER_NICE;
  if (raw === undefined || raw.trim() === '') return DEFAULT_WORKER_NICE;
  const value = Number(raw.trim());
  if (!/^\d+$/.test(raw.trim()) || value > 19) {
    throw new Error(`WORKER_NICE=${raw} must be a whole number from 0 (the workers as urgent as the services) to 19 (the least urgent)`);
  }
  return value;
}

/**
 * Runs a process `offset` nice levels below this one (at most 19). On Linux a niceness belongs to
 * a thread: the process's first thread is set, then any other it already started (called right
 * after the spawn there are none, unless the launcher was held up); the threads started later
 * inherit it from the first. A process that already exited, or a system that refuses, leaves it
 * as it is: priority is a preference, not worth stopping for.
 */
export function lowerPriority(pid: number | undefined, offset: number, warn: (message: string) => void): void {
  if (pid === undefined || offset === 0) return;
  const niceness = Math.min(19, getPriority() + offset);
  try {
    setPriority(pid, niceness);
  } catch (error) {
    warn(`could not lower the priority of pid ${pid} to niceness ${niceness}: ${error instanceof Error ? error.message : String(error)}`);
    return;
  }
  for (const thread of threadsOf(pid)) {
    try {
      if (thread !== pid) setPriority(thread, niceness);
    } catch {
      // A thread that ended meanwhile.
    }
  }
}

/** A process's threads (Linux); none elsewhere, where a process has one niceness. */
function threadsOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).map(Number);
  } catch {
    return [];
  }
}
