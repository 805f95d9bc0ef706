/**
 * Writes the newest of a series of values, one write at a time and at most one every `gapMs`:
 * values set meanwhile are written once, as the newest, when the gap ends. For a record whose
 * readers tolerate it being a little behind, written after every change of something busy (the
 * head of tracking's event log, which readers and writers walk past): one write per change was
 * the largest source of updates an order cost its database.
 *
 * A failed write is tried again after the gap, unless a newer value replaced it meanwhile.
 * `flush()` writes what is waiting now, and waits for it; `close()` does, then writes no more
 * (its owner stopping).
 */
export class TrailingWrite<T> {
  private wanted: { value: T } | undefined;
  private writing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastWriteAt = Number.NEGATIVE_INFINITY;
  private closed = false;

  constructor(
    private readonly write: (value: T) => Promise<unknown>,
    private readonly gapMs: number,
  ) {}

  /** `value` is to be written: now if the last write was `gapMs` ago and none is under way, else when that allows. */
  set(value: T): void {
    this.wanted = { value };
    this.schedule();
  }

  /** Writes the waiting value now (gap or not), after the write under way, and waits for it; a failure is left for later. */
  async flush(): Promise<void> {
    // Its end may start the next write at once (the gap was over), which then writes the waiting value.
    await this.writing;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.writing && this.wanted) {
      this.lastWriteAt = Number.NEGATIVE_INFINITY;
      this.schedule();
    }
    await this.writing;
  }

  /** Writes what waits (see flush), then nothing more: not a value set later, nor a failed write again. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.closed || this.writing || this.timer || !this.wanted) return;
    const wait = this.lastWriteAt + this.gapMs - Date.now();
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.schedule();
      }, wait);
      // A process stopping does not wait for it: flush() is for that.
      this.timer.unref();
      return;
    }
    const { value } = this.wanted;
    this.wanted = undefined;
    this.lastWriteAt = Date.now();
    this.writing = this.write(value).then(
      () => undefined,
      () => {
        this.wanted ??= { value };
      },
    );
    void this.writing.finally(() => {
      this.writing = undefined;
      this.schedule();
    });
  }
}
