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

/** A process's parent, and whether it still runs (not ended, nor a zombie), from Linux's /proc; undefined elsewhere or once it is gone. */
export function processState(pid: number): { parent: number; alive: boolean } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After the command's name, in parentheses that may hold anything: its state, then its parent.
    const [state, parent] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { parent: Number(parent), alive: state !== 'Z' && state !== 'X' };
  } catch {
    return undefined;
  }
}
