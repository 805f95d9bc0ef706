import { readdirSync } from 'node:fs';

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
