import type { ChildProcess } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, openSync, readSync, renameSync, statSync, truncateSync } from 'node:fs';

/** A log grown past this is kept as `<name>.1` (replacing the one before) and begun again. */
const ROTATE_AT_BYTES = 10 * 1024 * 1024;
/** How often a running daemon's log is checked against that. */
const CHECK_EVERY_MS = 10_000;

/**
 * The file a database daemon (FerretDB, PostgreSQL) writes its own messages to, in its data
 * folder. Kept on disk, not in the launcher's memory: whatever the daemon says while it runs (a
 * warning, a panic, a goroutine dump asked for with `kill -QUIT`) can be read after the fact, and a
 * daemon whose launcher was killed writes on, where into a pipe nobody reads any more it would be
 * stopped (a Go program dies of SIGPIPE on a closed stderr).
 *
 * At most two files of 10 MB each: FerretDB logs every query PostgreSQL refuses, and here a key
 * already taken (an idempotent insert) or a compare-and-swap refused is a normal answer, a line of
 * about 1 KB each, for as long as the system runs.
 */
export class DaemonLog {
  /** For `spawn`'s stdio: the daemon writes here itself. Closed in this process once spawned (`spawned`). */
  readonly fd: number;
  /** Where this start's output begins: an error message quotes only what this start wrote. */
  private readonly startsAt: number;

  private readonly maxBytes: number;
  private readonly checkEveryMs: number;

  constructor(
    readonly path: string,
    options: { maxBytes?: number; checkEveryMs?: number } = {},
  ) {
    this.maxBytes = options.maxBytes ?? ROTATE_AT_BYTES;
    this.checkEveryMs = options.checkEveryMs ?? CHECK_EVERY_MS;
    if (existsSync(path) && statSync(path).size > this.maxBytes) renameSync(path, `${path}.1`);
    this.fd = openSync(path, 'a');
    this.startsAt = statSync(path).size;
  }

  /**
   * The daemon holds its own copy of the file now: this process's is not needed. Until the daemon
   * exits, a log grown past its bound is copied to `.1` and emptied; the daemon appends, so it
   * writes on from the start of the file (what it writes during the copy is lost).
   */
  spawned(daemon: ChildProcess): void {
    closeSync(this.fd);
    const bound = setInterval(() => {
      try {
        if (statSync(this.path).size <= this.maxBytes) return;
        copyFileSync(this.path, `${this.path}.1`);
        truncateSync(this.path, 0);
      } catch {
        // Gone (the data folder removed under a stopping daemon): nothing to bound.
      }
    }, this.checkEveryMs);
    // A launcher stopping does not wait for it.
    bound.unref();
    daemon.once('exit', () => clearInterval(bound));
  }

  /** The end of what the daemon wrote since this start, for an error message (at most `bytes`). */
  tail(bytes = 4000): string {
    const size = existsSync(this.path) ? statSync(this.path).size : 0;
    // Emptied since (see `spawned`): all of it is this start's.
    const from = Math.max(size < this.startsAt ? 0 : this.startsAt, size - bytes);
    if (size <= from) return '';
    const fd = openSync(this.path, 'r');
    try {
      const buffer = Buffer.alloc(size - from);
      const read = readSync(fd, buffer, 0, buffer.length, from);
      return `${buffer.subarray(0, read).toString()}\n(the whole log: ${this.path})`;
    } finally {
      closeSync(fd);
    }
  }
}

/** A daemon's words (`DaemonLog.tail`) after an error message: on a line of their own, or nothing when it said nothing. */
export const quoted = (tail: string) => (tail.trim() ? `:\n${tail}` : '');
