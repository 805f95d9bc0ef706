import { MongoBulkWriteError, type Collection, type Db, type Filter, type OptionalUnlessRequiredId } from 'mongodb';
import { isDuplicateKeyError, upsertRacing } from './mongo.ts';

export interface SequencedEntry {
  /** The entry's number, zero-padded so it sorts like the number: 000000000000042. */
  _id: string;
  seq: number;
}

export const SEGMENT_SIZE = 500;
export const sequenceId = (seq: number) => String(seq).padStart(15, '0');

/**
 * An append-only, gapless, numbered log in one database, shared by any number of
 * processes, that holds on FerretDB 1.24 as on MongoDB. Entry n+1 is inserted only once
 * entry n is known to exist, and a unique `_id` settles two writers racing for a number,
 * so the numbers have no gaps and their order is the order of appending.
 *
 * Entries live in segments of 500 (`<name>_0`, `<name>_1`, ...): FerretDB finds a document
 * by `_id` by scanning its collection, so small collections keep every lookup cheap
 * however long the log grows. A `<name>_head` document records the newest number its
 * writers know of, so readers look only for entries that exist (a miss costs a full
 * segment scan on FerretDB).
 */
export class SequencedLog<T extends SequencedEntry> {
  private readonly head: Collection<{ _id: string; seq: number }>;
  /** The newest entry this process knows exists: where the next append starts trying. */
  private known = 0;
  private appending: Promise<unknown> = Promise.resolve();
  private started: Promise<void> | undefined;
  private probedAt = 0;

  constructor(
    private readonly db: Db,
    private readonly name: string,
    /** Where the head document lives: `<name>_head` unless a log already in use names another. */
    options: { headCollection?: string } = {},
  ) {
    this.head = db.collection(options.headCollection ?? `${name}_head`);
  }

  /** Finds where the log ends; called once before the first append (append calls it too). */
  start(): Promise<void> {
    this.started ??= this.lastSeq().then((seq) => {
      this.known = Math.max(this.known, seq);
    });
    return this.started;
  }

  private segment(seq: number): Collection<T> {
    return this.db.collection<T>(`${this.name}_${Math.floor((seq - 1) / SEGMENT_SIZE)}`);
  }

  /** Entry `seq`, if written. */
  at(seq: number): Promise<T | null> {
    if (seq < 1) return Promise.resolve(null);
    return this.segment(seq).findOne({ _id: sequenceId(seq) } as Filter<T>) as Promise<T | null>;
  }

  /**
   * Appends the entry `make` builds for the number it gets, and returns it. Within this
   * process appends are one at a time; across processes the unique `_id` decides.
   */
  append(make: (seq: number) => Omit<T, '_id' | 'seq'>): Promise<T> {
    const appended = this.appending.then(async () => {
      await this.start();
      for (let seq = this.known + 1; ; seq++) {
        // A number already taken was taken by a committed entry, so the next one is the candidate.
        const entry = { ...make(seq), _id: sequenceId(seq), seq } as T;
        if (!(await this.insertAt(entry))) continue;
        this.known = Math.max(this.known, seq);
        // The entry is in: failing the append now would have its caller try again and append
        // it twice. A head left behind is harmless (readers and writers walk past it).
        await this.advanceHead(seq).catch(() => {});
        return entry;
      }
    });
    this.appending = appended.catch(() => {});
    return appended;
  }

  /**
   * Inserts entry `entry.seq`; false when another writer took that number first. For
   * writers that number entries themselves (append does this for the rest).
   */
  async insertAt(entry: T): Promise<boolean> {
    try {
      await this.segment(entry.seq).insertOne(entry as OptionalUnlessRequiredId<T>);
      return true;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }

  /**
   * Inserts entries for consecutive numbers, in order, one request per segment they span; returns
   * how many of the leading ones went in. A number another writer took first stops the run there
   * (the entries after it are not inserted): the caller numbers the rest again past it.
   */
  async insertRun(entries: readonly T[]): Promise<number> {
    if (entries.length === 0) return 0;
    const first = entries[0]!.seq;
    const inSegment = entries.slice(0, SEGMENT_SIZE - ((first - 1) % SEGMENT_SIZE));
    try {
      await this.segment(first).insertMany(inSegment as OptionalUnlessRequiredId<T>[], { ordered: true });
    } catch (error) {
      const failed = error instanceof MongoBulkWriteError ? [error.writeErrors].flat()[0] : undefined;
      if (failed?.code === 11000) return failed.index;
      throw error;
    }
    return inSegment.length + (await this.insertRun(entries.slice(inSegment.length)));
  }

  /** Records that entry `seq` exists; `$max`, so a late writer never moves the head back. */
  async advanceHead(seq: number): Promise<void> {
    await upsertRacing(() => this.head.updateOne({ _id: 'head' }, { $max: { seq } }, { upsert: true }));
  }

  /** The head as its writers last recorded it (possibly a little behind the last entry). */
  async recordedHead(): Promise<number> {
    return (await this.head.findOne({ _id: 'head' }))?.seq ?? 0;
  }

  /** Drops whole segments whose entries all come before `seq`; returns how many. */
  async dropBefore(seq: number): Promise<number> {
    const segment = new RegExp(`^${this.name}_(\\d+)$`);
    const names = (await this.db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
    const old = names.filter((name) => {
      const match = segment.exec(name);
      return match && (Number(match[1]) + 1) * SEGMENT_SIZE < seq;
    });
    for (const name of old) await this.db.collection(name).drop();
    // Remember where the log now starts, so every process (whatever it still holds in
    // memory) tells a reader of a dropped entry the same thing.
    const floor = Math.max(0, ...old.map((name) => (Number(segment.exec(name)![1]) + 1) * SEGMENT_SIZE)) + 1;
    if (old.length > 0) await upsertRacing(() => this.head.updateOne({ _id: 'head' }, { $max: { floor } as never }, { upsert: true }));
    return old.length;
  }

  /** The oldest entry still kept (1 until segments have been dropped). */
  async recordedFloor(): Promise<number> {
    return ((await this.head.findOne({ _id: 'head' })) as { floor?: number } | null)?.floor ?? 1;
  }

  /**
   * The newest entry's number as far as this process can tell cheaply: its own appends and
   * the recorded head. Once a second it also looks past that, in case another writer's head
   * update was lost (FerretDB's `$max` is not atomic) or has not landed yet.
   */
  async headSeq(): Promise<number> {
    // `known` is read only after each lookup returns: an append in this process may move it
    // meanwhile. (Counting up from a number read before the lookup moved `known` past an entry
    // that was never written, and the next append left that number out for good.)
    const recorded = await this.recordedHead();
    this.known = Math.max(this.known, recorded);
    if (Date.now() - this.probedAt >= 1_000) {
      this.probedAt = Date.now();
      let seq = this.known;
      while (await this.at(seq + 1)) seq++;
      this.known = Math.max(this.known, seq);
    }
    return this.known;
  }

  /** The newest entry's number (0 for an empty log): the recorded head, then a walk past it. */
  async lastSeq(): Promise<number> {
    let seq = await this.recordedHead();
    while (await this.at(seq + 1)) seq++;
    return seq;
  }

  /**
   * Entries numbered `from` to `to` that exist and match `filter`, in order: one request per
   * segment, one after the other. For a reader far behind: a segment read whole costs a few
   * lookups' worth, where `read` asks once per entry (and stops at the first number not written).
   */
  async findBetween(from: number, to: number, filter: Filter<T> = {}): Promise<T[]> {
    const found: T[] = [];
    for (let seq = Math.max(from, 1); seq <= to; seq = (Math.floor((seq - 1) / SEGMENT_SIZE) + 1) * SEGMENT_SIZE + 1) {
      found.push(...((await this.segment(seq).find({ ...filter, seq: { $gte: from, $lte: to } } as Filter<T>).toArray()) as T[]));
    }
    return found.sort((a, b) => a.seq - b.seq);
  }

  /** Up to `max` consecutive entries after `after`, no further than `until`. */
  async read(after: number, max: number, until: number): Promise<T[]> {
    const entries: T[] = [];
    for (let seq = after + 1; seq <= Math.min(until, after + max); seq++) {
      const entry = await this.at(seq);
      if (!entry) break;
      entries.push(entry);
    }
    return entries;
  }
}
