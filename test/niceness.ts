import { readdirSync, readFileSync } from 'node:fs';

/** The niceness of each of a process's threads (Linux: field 19 of /proc/<pid>/task/<tid>/stat). */
export function threadNiceness(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => Number(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]));
}
