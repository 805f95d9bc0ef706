import { readdirSync, readFileSync } from 'node:fs';

/** The niceness of each of a process's threads (Linux: field 19 of /proc/<pid>/task/<tid>/stat); a thread that ended meanwhile is left out. */
export function threadNiceness(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((tid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // The fields after the thread's name, which may itself hold spaces and parentheses.
      return [Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])];
    } catch {
      return [];
    }
  });
}
