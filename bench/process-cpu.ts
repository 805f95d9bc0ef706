import { readdirSync, readFileSync } from 'node:fs';

// CPU time that each process of a launcher used, from /proc (Linux only): what an order costs in
// CPU, which on a machine of two cores says more than a rate that varies from run to run.

/** The kernel's clock ticks per second for utime and stime (USER_HZ): 100 on Linux. */
const TICKS_PER_SECOND = 100;

export interface ProcessCpu {
  /** `FerretDB`, `PostgreSQL`, or the Node.js program's entry file (subgraphs/orders/index.ts). */
  name: string;
  seconds: number;
}

function stat(pid: number): { ppid: number; seconds: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after its closing parenthesis.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime
    const [ppid, utime, stime, cutime, cstime] = [fields[1], fields[11], fields[12], fields[13], fields[14]].map(Number) as [number, number, number, number, number];
    // Children that exited and were waited for count in their parent's cutime and cstime.
    return { ppid, seconds: (utime + stime + cutime + cstime) / TICKS_PER_SECOND };
  } catch {
    return undefined; // exited meanwhile
  }
}

function nameOf(pid: number): string {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const program = args[0] ?? '';
    if (/ferretdb$/.test(program)) return 'FerretDB';
    // The postmaster, and its backends (whose command line reads `postgres: …`).
    if (/postgres/.test(program)) return 'PostgreSQL';
    const entry = args.findLast((arg) => /\.(ts|js|mjs)$/.test(arg));
    return entry ? entry.split('/').slice(-2).join('/') : program;
  } catch {
    return 'gone';
  }
}

/** CPU seconds used so far by the process `root` and everything under it, by pid. */
export function cpuOfTree(root: number): Map<number, ProcessCpu> {
  const all = new Map<number, { ppid: number; seconds: number }>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const found = stat(pid);
    if (found) all.set(pid, found);
  }
  const inTree = (pid: number): boolean => {
    for (let at = pid, hops = 0; at > 1 && hops < 50; hops++) {
      if (at === root) return true;
      at = all.get(at)?.ppid ?? 0;
    }
    return false;
  };
  const tree = new Map<number, ProcessCpu>();
  for (const [pid, { seconds }] of all) if (inTree(pid)) tree.set(pid, { name: nameOf(pid), seconds });
  return tree;
}

/**
 * CPU seconds used between two readings, summed by name, busiest first. A process that exited
 * between them (a PostgreSQL backend or autovacuum worker) now counts in its parent's times
 * for its whole life: what it had used by the first reading is taken off again, under its own
 * name (for PostgreSQL's, the parent's name too).
 */
export function cpuSince(after: Map<number, ProcessCpu>, before: Map<number, ProcessCpu>): [string, number][] {
  const byName = new Map<string, number>();
  const add = (name: string, seconds: number) => byName.set(name, (byName.get(name) ?? 0) + seconds);
  for (const [pid, { name, seconds }] of after) add(name, seconds - (before.get(pid)?.seconds ?? 0));
  for (const [pid, { name, seconds }] of before) if (!after.has(pid)) add(name, -seconds);
  return [...byName].filter(([, seconds]) => seconds > 0).sort((a, b) => b[1] - a[1]);
}

/** Whether a process of cpuSince's figures is the database (FerretDB, or its PostgreSQL). */
const isDatabase = (name: string) => name === 'FerretDB' || name === 'PostgreSQL';

/**
 * CPU per unit of work in ms (an order, a request), from cpuSince's figures: in all, FerretDB's,
 * PostgreSQL's, and the Node.js processes' together and each (busiest first).
 */
export function cpuPerUnit(cpu: readonly [string, number][], units: number) {
  const ms = (seconds: number) => (seconds * 1000) / units;
  const sum = (which: (name: string) => boolean) => ms(cpu.filter(([name]) => which(name)).reduce((total, [, seconds]) => total + seconds, 0));
  return {
    all: sum(() => true),
    ferretdb: sum((name) => name === 'FerretDB'),
    postgres: sum((name) => name === 'PostgreSQL'),
    node: sum((name) => !isDatabase(name)),
    byProcess: cpu.filter(([name]) => !isDatabase(name)).map(([name, seconds]) => [name, ms(seconds)] as const),
  };
}
