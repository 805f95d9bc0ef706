import { readdirSync, readFileSync } from 'node:fs';

/**
 * The pids of the processes on this machine (Linux's /proc) that `matches`; a process that ends
 * while it is looked at, or is not this user's to read, is left out.
 */
export function pidsWhere(matches: (pid: number) => boolean): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (matches(Number(entry))) pids.push(Number(entry));
    } catch {
      // gone already, or not ours to read
    }
  }
  return pids;
}

/** A process's fields of /proc/<pid>/stat after the command's name (in parentheses that may hold anything): its state first, then its parent; its start time 20th. */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** A process's parent, and whether it still runs (not ended, nor a zombie), from Linux's /proc; undefined elsewhere or once it is gone. */
export function processState(pid: number): { parent: number; alive: boolean } | undefined {
  try {
    const [state, parent] = statFields(pid);
    return { parent: Number(parent), alive: state !== 'Z' && state !== 'X' };
  } catch {
    return undefined;
  }
}

/**
 * A running process as no other will ever be: this boot's id and when the process started, in
 * clock ticks since boot (`/proc/<pid>/stat`, field 22). Undefined where there is no /proc.
 */
export function processIdentity(pid: number): string | undefined {
  try {
    const startTime = statFields(pid)[19];
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return startTime ? `${boot}:${startTime}` : undefined;
  } catch {
    return undefined;
  }
}

/** The program a command line (`/proc/<pid>/cmdline`) runs: its first argument's file name. */
export const programOf = (cmdline: string): string => cmdline.split('\0')[0]!.split('/').at(-1)!;
