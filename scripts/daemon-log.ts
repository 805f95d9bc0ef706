import { closeSync, existsSync, openSync, readSync, renameSync, statSync } from 'node:fs';

/** A log grown past this at start is kept as `<name>.1` (replacing the one before) and begun again. */
const ROTATE_AT_BYTES = 10 * 1024 * 1024;

/**
 * The file a database daemon (FerretDB, PostgreSQL) writes its own messages to, in its data
 * folder. Kept on disk, not in the launcher's memory: whatever the daemon says while it runs (a
 * warning, a panic, a goroutine dump asked for with `kill -QUIT`) can be read after the fact, and a
 * daemon whose launcher was killed writes on, where into a pipe nobody reads any more it would be
 * stopped (a Go program dies of SIGPIPE on a closed stderr).
 */
export class DaemonLog {
  /** For `spawn`'s stdio: the daemon writes here itself. Closed in this process once spawned (`spawned`). */
  readonly fd: number;
  /** Where this start's output begins: an error message quotes only what this start wrote. */
  private readonly startsAt: number;

  constructor(readonly path: string) {
    if (existsSync(path) && statSync(path).size > ROTATE_AT_BYTES) renameSync(path, `${path}.1`);
    this.fd = openSync(path, 'a');
    this.startsAt = statSync(path).size;
  }

  /** The daemon holds its own copy of the file now: this process's is not needed. */
  spawned(): void {
    closeSync(this.fd);
  }

  /** The end of what the daemon wrote since this start, for an error message (at most `bytes`). */
  tail(bytes = 4000): string {
    const size = existsSync(this.path) ? statSync(this.path).size : 0;
    const from = Math.max(this.startsAt, size - bytes);
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
