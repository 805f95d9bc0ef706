import type { Collection, Document, Filter, ObjectId, OptionalUnlessRequiredId } from 'mongodb';
import { tryLater } from './errors.ts';
import { isReplaceConflict, newRevision, replacesAreGuarded } from './guarded-replace.ts';
import { ensureIndex, isDuplicateKeyError } from './mongo.ts';

/**
 * Compare-and-swap on one document that holds on FerretDB 1.24 as well as MongoDB,
 * across any number of processes.
 *
 * Why not a conditional `findOneAndUpdate`: FerretDB 1.24 implements updates as
 * "query, apply the operators in Go, write the whole document back" with no
 * transaction, so two concurrent `$inc`s can lose one, and a filter such as
 * `{ quantity: { $gte: 1 } }` does not guard the write. What both databases do
 * enforce atomically is a unique key on insert. So every change to a document is
 * first *claimed* by inserting its next version, `<key>#<version>`, into an
 * append-only history collection: of two writers that read version n, exactly one
 * inserts n+1; the other gets a duplicate-key error, re-reads and tries again.
 * The head document (the one readers query) is then written with the claimed state.
 *
 * If a writer dies between claiming and writing the head, the next writer's claim
 * fails on that version; it rolls the head forward from the history and carries on.
 *
 * Where a conditional replace is atomic (MongoDB, and FerretDB on the embedded PostgreSQL with
 * the guard of kit/guarded-replace.ts), none of that is needed: each write gives the head a new
 * revision (`rev`), names the one it was made from (`revOf`), and replaces the head only if it
 * still holds that one. A change is then one write instead of a claim, a write and a look for a
 * later claim, and nothing more is written to the history collection (docs/benchmarks.md,
 * "2026-12-01 (late night)"). What claims wrote there before stays, unread; a change claimed but
 * never written by a process that died just before the switch is not rolled forward.
 */
/** Documents are addressed by a string or an ObjectId _id. */
export type DocumentKey = string | ObjectId;
export type Head<S, K extends DocumentKey = string> = S & {
  _id: K;
  version: number;
  /** This revision's id, new with every write where replaces are guarded (absent on heads stored before, or elsewhere). */
  rev?: string;
  /** The revision this one was made from (null: the head had none). */
  revOf?: string | null;
};

export interface HistoryEntry<S> {
  _id: string; // `${key}#${version}`
  key: string;
  version: number;
  state: S;
  at: Date;
}

export const REFUSED = Symbol('refused');

/** A document's stored form and the form it is used in (see the `codec` option). */
export interface StoredForm {
  encode<T extends Document>(used: T): T;
  decode<T extends Document>(stored: T): T;
}

/** How many recent versions of each document stay in its history. */
const KEEP_VERSIONS = 50;

export class VersionedDocuments<S extends Document, K extends DocumentKey = string> {
  constructor(
    readonly heads: Collection<Head<S, K>>,
    readonly history: Collection<HistoryEntry<S>>,
    private readonly options: {
      maxAttempts?: number;
      /** false when heads are created elsewhere (a queue's enqueue): a late writer then never recreates a removed head. */
      createHeads?: boolean;
      /**
       * A field set once when a document is created (a queue element's `enqueuedAt`). A document
       * removed with its history and stored again starts again at version 0; a head is written over
       * the version it was made from only if this field matches too, so a change made from the
       * first life's copy never lands on the second one. Only with `createHeads: false`. (Guarded
       * replaces need it only for a head stored without a revision: each life's `rev` differs.)
       */
      incarnation?: keyof S & string;
      /** Claim each version in the history even where replaces are guarded (tests of that path, comparisons). */
      claimVersions?: boolean;
      /**
       * How a head is stored, where that differs from how it is used (a queue element's outbox as
       * text, kit/queue.ts): `decode` is applied to every head read, `encode` to every state
       * written (heads, and the history's states). `change` and callers only see decoded heads.
       */
      codec?: StoredForm;
    } = {},
  ) {
    if (options.incarnation && options.createHeads !== false) throw new Error('VersionedDocuments: `incarnation` needs `createHeads: false`');
  }

  private get maxAttempts() {
    return this.options.maxAttempts ?? 200;
  }

  /** Whether heads are changed with one guarded replace (see above) rather than claims. */
  guarded(): Promise<boolean> {
    return this.options.claimVersions ? Promise.resolve(false) : replacesAreGuarded(this.heads.db);
  }

  async ensureIndexes(): Promise<void> {
    if (await this.guarded()) return; // no history is written
    await ensureIndex(this.history, { key: 1, version: 1 }, { name: 'by_key_version' });
  }

  /**
   * Applies `change` to the current state (null when the document does not exist yet).
   * `change` returns the next state, or REFUSED to leave the document as it is
   * (for example: not enough stock). Returns the new head, or REFUSED.
   *
   * `known`: the head as the caller just read or wrote it, used for the first attempt instead of
   * reading it again. A head that changed since is caught by the claim of the next version,
   * which then fails, and the next attempt reads the head. One change the claim cannot see: the
   * document was removed with its history and stored again (a queue element archived, and a
   * late duplicate enqueued for a moment). So the head is written only over `known`'s version
   * exactly; if it is not there, the claim is withdrawn and the next attempt reads the head.
   * Where replaces are guarded, `known`'s revision is the filter: any change since, or another
   * life of the document, fails it, and the next attempt reads the head.
   */
  async update(key: K, change: (current: Head<S, K> | null) => S | typeof REFUSED, known?: Head<S, K>): Promise<Head<S, K> | typeof REFUSED> {
    if (await this.guarded()) return this.replaceGuarded(key, change, known);
    const name = typeof key === 'string' ? key : key.toHexString();
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      const fromKnown = attempt === 0 && !!known;
      const current = fromKnown ? known! : await this.readHead(key);
      const next = change(current);
      if (next === REFUSED) return REFUSED;
      const version = (current?.version ?? 0) + 1;
      try {
        await this.history.insertOne({ _id: `${name}#${version}`, key: name, version, state: this.encode(next), at: new Date() } as OptionalUnlessRequiredId<HistoryEntry<S>>);
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        await this.rollForward(key, name, version);
        await backoff(attempt);
        continue;
      }
      const head = { ...next, _id: key, version } as Head<S, K>;
      const stored = this.encode(head);
      const written = fromKnown ? await this.writeHeadOver(stored, current!) : await this.writeHead(stored, current);
      if (written === 'gone' || written === 'stale') {
        // Our claim is void; withdrawn, so that it neither stays behind nor blocks a later writer.
        await this.history.deleteOne({ _id: `${name}#${version}` } as Filter<HistoryEntry<S>>);
        // The document was removed (finished and archived) while we worked.
        if (written === 'gone') return REFUSED;
        continue;
      }
      // FerretDB's replaceOne is not atomic either: a slower writer of an older version
      // may land after us. If a newer version was claimed meanwhile, make sure the head
      // ends up at least there, so readers never keep seeing a superseded state.
      if (await this.history.findOne({ _id: `${name}#${version + 1}` } as Filter<HistoryEntry<S>>, { projection: { _id: 1 } })) {
        await this.rollForward(key, name, version + 1);
      }
      // Keep the history short (every lookup on FerretDB costs in proportion to it). A
      // version this old can only be claimed again by a writer that read the document
      // KEEP_VERSIONS changes ago and stalled until now; such a writer is not plausible.
      if (version > KEEP_VERSIONS) await this.history.deleteOne({ _id: `${name}#${version - KEEP_VERSIONS}` } as Filter<HistoryEntry<S>>);
      return head;
    }
    throw tryLater(`${key} is changing too fast to update after ${this.maxAttempts} attempts; try again`);
  }

  /**
   * `update` where a conditional replace is atomic: the head is replaced only if it still holds
   * the revision it was read at; otherwise it is read again and the change applied again.
   */
  private async replaceGuarded(key: K, change: (current: Head<S, K> | null) => S | typeof REFUSED, known?: Head<S, K>): Promise<Head<S, K> | typeof REFUSED> {
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      const current = attempt === 0 && known ? known : await this.readHead(key);
      const next = change(current);
      if (next === REFUSED) return REFUSED;
      const head = { ...next, _id: key, version: (current?.version ?? 0) + 1, rev: newRevision(), revOf: current?.rev ?? null } as Head<S, K>;
      const stored = this.encode(head);
      if (!current) {
        // Removed (finished and archived) while we worked, or never there: only a head made here may be created.
        if (this.options.createHeads === false) return REFUSED;
        try {
          await this.heads.insertOne(stored as OptionalUnlessRequiredId<Head<S, K>>);
          return head;
        } catch (error) {
          if (!isDuplicateKeyError(error)) throw error;
        }
      } else {
        try {
          if ((await this.heads.replaceOne(this.revisionOf(current), stored)).matchedCount > 0) return head;
        } catch (error) {
          if (!isReplaceConflict(error)) throw error;
        }
      }
      await backoff(attempt);
    }
    throw tryLater(`${key} is changing too fast to update after ${this.maxAttempts} attempts; try again`);
  }

  /** The head as stored now, decoded (null: there is none). */
  private async readHead(key: K): Promise<Head<S, K> | null> {
    const found = (await this.heads.findOne({ _id: key } as Filter<Head<S, K>>)) as Head<S, K> | null;
    return found && this.options.codec ? this.options.codec.decode(found) : found;
  }

  /** A head or state in the form it is stored in. */
  private encode<T extends Document>(used: T): T {
    return this.options.codec ? this.options.codec.encode(used) : used;
  }

  /**
   * A filter for exactly the head `current` is: its revision, or, for a head stored without one
   * (before guarded writes, or just created), its version and life with no revision yet.
   */
  private revisionOf(current: Head<S, K>): Filter<Head<S, K>> {
    if (typeof current.rev === 'string') return { _id: current._id, rev: current.rev } as Filter<Head<S, K>>;
    return { _id: current._id, version: current.version, rev: { $exists: false }, ...this.sameLifeAs(current) } as Filter<Head<S, K>>;
  }

  /** Brings a head that lags its history (a writer died after claiming) up to date. */
  private async rollForward(key: K, name: string, claimed: number): Promise<void> {
    let latest: HistoryEntry<S> | null = null;
    for (let version = claimed; ; version++) {
      const entry = (await this.history.findOne({ _id: `${name}#${version}` } as Filter<HistoryEntry<S>>)) as HistoryEntry<S> | null;
      if (!entry) break;
      latest = entry;
    }
    // A claim another life of the document left behind (see `incarnation`) is not rolled onto this one.
    if (latest) await this.writeHead({ ...latest.state, _id: key, version: latest.version } as Head<S, K>, latest.state);
  }

  /**
   * Writes a head unless a newer version is already there, in one request: the filter names
   * `_id` (which FerretDB looks up by index) and the version (which it checks on that one
   * document). Neither database makes that check and the write one atomic step on FerretDB;
   * a newer head that lands between the two is repaired by the roll-forward check in `update`.
   */
  private async writeHead(head: Head<S, K>, base: S | null): Promise<'written' | 'newer' | 'stale' | 'gone'> {
    const older = { _id: head._id, version: { $lt: head.version } } as Filter<Head<S, K>>;
    if (this.options.createHeads === false) {
      if ((await this.heads.replaceOne({ ...older, ...this.sameLifeAs(base) }, head)).matchedCount > 0) return 'written';
      // Rare: tell a newer head from a removed one, or from another life of the document.
      const now = await this.headNow(head._id);
      if (!now) return 'gone';
      return this.isOtherLife(now, base) ? 'stale' : 'newer';
    }
    try {
      // No older head: inserted, unless a head with this _id exists (then it is not older).
      await this.heads.replaceOne(older, head, { upsert: true });
      return 'written';
    } catch (error) {
      if (isDuplicateKeyError(error)) return 'newer';
      throw error;
    }
  }

  /**
   * Writes a head over exactly the version it was made from (see `known` in update). 'newer':
   * it is not there because the head already carries our claim or a later one (a writer that
   * lost the race to us rolled ours forward); 'stale': the head is an older one than `previous`,
   * or another life of the document (see `incarnation`).
   */
  private async writeHeadOver(head: Head<S, K>, previous: Head<S, K>): Promise<'written' | 'newer' | 'stale' | 'gone'> {
    if ((await this.heads.replaceOne({ _id: head._id, version: previous.version, ...this.sameLifeAs(previous) } as Filter<Head<S, K>>, head)).matchedCount > 0) return 'written';
    const now = await this.headNow(head._id);
    if (!now) return 'gone';
    if (this.isOtherLife(now, previous)) return 'stale';
    return now.version >= head.version ? 'newer' : 'stale';
  }

  /** The part of a head write's filter that keeps it to the life of the document `base` was read in (see `incarnation`). */
  private sameLifeAs(base: S | null): Filter<Head<S, K>> {
    const field = this.options.incarnation;
    return (field && base ? { [field]: base[field] } : {}) as Filter<Head<S, K>>;
  }

  /** After a head write matched nothing: the head's version and life now, or null when it was removed. */
  private headNow(id: K): Promise<Head<S, K> | null> {
    const field = this.options.incarnation;
    return this.heads.findOne({ _id: id } as Filter<Head<S, K>>, { projection: { version: 1, ...(field ? { [field]: 1 } : {}) } }) as Promise<Head<S, K> | null>;
  }

  private isOtherLife(now: Head<S, K>, base: S | null): boolean {
    const field = this.options.incarnation;
    return !!field && !!base && !sameValue(now[field], base[field]);
  }

  /** Forgets a document's history (it is finished and archived elsewhere): one request, by the indexed key; none where writes are guarded. */
  async dropHistory(key: K): Promise<void> {
    if (await this.guarded()) return;
    const name = typeof key === 'string' ? key : key.toHexString();
    await this.history.deleteMany({ key: name } as Filter<HistoryEntry<S>>);
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  return a instanceof Date && b instanceof Date ? a.getTime() === b.getTime() : a === b;
}

function backoff(attempt: number): Promise<void> {
  const ms = Math.min(20, 1 + attempt) * Math.random();
  return new Promise((resolve) => setTimeout(resolve, ms));
}
