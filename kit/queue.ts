import { randomInt, randomUUID } from 'node:crypto';
import type { Collection, Db, Filter } from 'mongodb';
import { doorbell, ringKey, type RingKind } from './doorbell.ts';
import { countQueueFromZero, onScrape, queueCompleted, queueDeadLetters, queueDepth as queueDepthGauge, queueEnqueued, queueLeaseExpiries, queueLeasesInFlight, queueOldestAge, queueRetries, queueWait, outboxBacklog } from './metrics.ts';
import { recordsFromJson } from './json-records.ts';
import { ensureIndex, findByIds, isDuplicateKeyError, retireIndex } from './mongo.ts';
import { captureTrace, type TraceCarrier } from './telemetry.ts';
import { newRevision } from './guarded-replace.ts';
import { REFUSED, VersionedDocuments, type Head, type StoredForm } from './versioned.ts';

/**
 * A durable work queue kept in the owning stage's own database.
 *
 * - Enqueue is idempotent: the element's id is the document's _id, so the same
 *   element enqueued twice (a retried delivery) is stored once.
 * - A worker leases an element for a visibility timeout; if it dies, the lease
 *   expires and another worker gets the element. Each lease carries a fencing token:
 *   a worker whose lease was taken over can neither renew, complete nor fail it.
 * - Failures are retried with exponential backoff; after `maxAttempts` the element
 *   is parked as FAILED and handed to the exceptions service through the outbox.
 * - Completing an element and recording what must be sent next (the outbox) is one
 *   atomic write of one document, so a hand-off is never lost and never invented.
 * - A finished element stays in the queue's collection, DONE, where indexes keep it out of
 *   every search for work; on FerretDB's SQLite handler, which has none, it is archived instead
 *   (see `QueueOptions.archive`).
 *
 * Every state change is a compare-and-swap (kit/versioned.ts): FerretDB 1.24 does not
 * apply conditional updates atomically, and this works on both it and MongoDB.
 */
export type QueueStatus = 'READY' | 'LEASED' | 'DONE' | 'FAILED' | 'CANCELLED';

/** Whether a message's target is a callback URL (a requester's), not one of the services by name. */
export const isCallbackTarget = (target: string): boolean => /^https?:\/\//.test(target);

/** A message to deliver to another service after a state change, exactly as recorded. */
export interface OutboxMessage {
  /** Unique per message; receivers use it (or the element id inside) to ignore duplicates. */
  id: string;
  /** A service name (resolved to its URL through pipeline/services.ts) or, for callbacks, a URL. */
  target: string;
  /** GraphQL mutation document the target understands. */
  operation: string;
  /**
   * Its variables as JSON text (read them with `variablesOf`). FerretDB 1.24 reads and writes
   * every nested object and array of a document with a type schema of its own: as text, an
   * element whose message holds shipment lines or transitions costs it a third less CPU per read
   * and write (docs/benchmarks.md, "2026-12-04 (last)"), and an element is read and written a
   * dozen times. The version before this one already read text and still wrote objects, so a
   * rollback to it, or its workers beside these during an upgrade, deliver these as written.
   */
  variablesJson?: string;
  /** Its variables as stored by versions before `variablesJson` was written (still read). */
  variables?: Record<string, unknown>;
  delivered: boolean;
  attempts: number;
  lastError?: string | null;
  /** After a failed delivery: not before this time (exponential backoff per message). */
  nextAttemptAt?: Date | null;
  /** Give up after this many failed deliveries (callbacks: the requester may be gone for good). */
  maxAttempts?: number | null;
  abandoned?: boolean;
  /**
   * Refused by its target after its element finished, and raised as an exception: the element
   * stays live until a person sends it again or gives it up (`resolveRefused`).
   */
  refused?: boolean;
  /** When it was recorded (delivery latency is measured from here). */
  recordedAt?: Date;
  /** The trace of the work that recorded it: the delivery continues that trace. */
  trace?: TraceCarrier | null;
}

export type ItemState<P, R> = {
  queue: string;
  payload: P;
  status: QueueStatus;
  attempts: number;
  /** When the element may next be leased: now or after a backoff when READY, the lease expiry when LEASED. */
  availableAt: Date;
  leaseToken: number | null;
  leaseOwner: string | null;
  lastError: string | null;
  result: R | null;
  enqueuedAt: Date;
  updatedAt: Date;
  /** Read from `outboxJson` where an element holds its outbox as text (see `storedItems`). */
  outbox: OutboxMessage[];
  /**
   * The outbox as JSON text, as this version stores it: FerretDB 1.24 reads and writes every
   * object of an array field by field, beside a type schema of its own, and an element is read and
   * written about a dozen times; with its outbox as text, FerretDB spends about a sixth less CPU
   * per read and write of an element (docs/benchmarks.md, "2026-12-05"). Elements stored by
   * earlier versions hold `outbox` as an array, and are still read; the version before this one
   * reads both forms, so a rollback or an upgrade with old and new processes on one database keeps
   * working. Nothing queries inside the outbox.
   */
  outboxJson?: string | null;
  outboxPending: boolean;
  /** A pending message recorded since the relay last delivered any of its messages (a new hand-off): the relay reads these apart from retries. */
  outboxFresh?: boolean;
  /** When the earliest of its pending messages may be sent (null: none pending). */
  outboxDueAt?: Date | null;
  /** When the relay last recorded delivering some of its messages (see `outboxFresh`). */
  outboxTriedAt?: Date | null;
  /** Set by a worker past its point of no return (a parcel handed to the carrier): the payload can no longer change. */
  sealed?: boolean;
  /** The trace of the request that enqueued it: the worker's span continues it (absent while tracing is off). */
  trace?: TraceCarrier | null;
  /** Failures in a row that were the infrastructure's (see `fail`): they do not use up attempts. */
  waits?: number;
};

export type QueueItem<P, R = unknown> = Head<ItemState<P, R>>;

export interface Lease<P> {
  id: string;
  token: number;
  payload: P;
  attempts: number;
  /** The trace the element's work belongs to. */
  trace?: TraceCarrier | null;
}

export type NewMessage = Omit<OutboxMessage, 'delivered' | 'attempts' | 'lastError' | 'id' | 'abandoned' | 'refused' | 'nextAttemptAt' | 'recordedAt' | 'trace' | 'variables' | 'variablesJson'> & {
  id?: string;
  variables: Record<string, unknown>;
};

/** A message's variables, however it was stored: as JSON text (`variablesJson`), or as an object by an earlier version. */
export function variablesOf(message: Pick<OutboxMessage, 'variables' | 'variablesJson'>): Record<string, unknown> {
  return message.variablesJson == null ? (message.variables ?? {}) : (JSON.parse(message.variablesJson) as Record<string, unknown>);
}

/** A change to a live element's payload, and the messages that report it (recorded in the same write). */
export interface Amendment<P> {
  payload: P;
  messages?: NewMessage[];
}

/**
 * What became of an amendment: `amended`; `unchanged` (the element already carries it);
 * `sealed` (its worker is past the point of no return); `finished` (done, cancelled or
 * not here: the element has moved on).
 */
export type AmendOutcome = 'amended' | 'unchanged' | 'sealed' | 'finished';

export interface QueueOptions {
  visibilityTimeoutMs?: number;
  maxAttempts?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /**
   * How many times in a row an element may be put back because its database or a service
   * it needs was unavailable, before it is parked (default 120: about half an hour at the
   * 15 s these retries back off to).
   */
  maxWaits?: number;
  /**
   * Builds the message that hands a FAILED element to the exceptions service; also a finished
   * element whose hand-off its target refused (see `resolveRefused`).
   */
  exceptionMessage?: (item: QueueItem<unknown>, reason: string) => NewMessage;
  /**
   * What a finished element whose hand-off was refused is found by (`refusedWhere`), such as its
   * order: noted in `queue_<name>_refusals` as the refusal is recorded, so that finding one asks
   * for a handful of notes, never for every element that ever finished.
   */
  refusalKey?: (item: QueueItem<unknown>) => string | null;
  /** What else a FAILED element says, sent with its hand-off to exceptions (its transition to tracking). */
  parkedMessages?: (item: QueueItem<unknown>, reason: string) => NewMessage[];
  /**
   * Only `post`s, never `enqueue`d: an element whose every message was delivered is removed, not
   * kept in `<name>_finished` (one with a message given up is kept there, for a person to read),
   * and `post` does not look there first. Two requests fewer per element, for queues whose
   * receivers take each message once by id anyway: a post repeated after its element was
   * delivered is delivered again.
   */
  postsOnly?: boolean;
  /**
   * Whether a finished element moves to `<name>_finished` (archived). Default: only where the
   * database's filters cannot use indexes (FerretDB's SQLite handler), where every poll would
   * otherwise read every element ever finished. Where they can (MongoDB; FerretDB on the embedded
   * PostgreSQL, whose lookup indexes kit/postgres-indexes.ts installs with the write guard that
   * `replacesAreGuarded` probes), a finished element stays where it is, found by nothing that
   * looks for work: an insert and a delete fewer per element, and `enqueue` need not look in the
   * archive first and again after (a late duplicate's insert is refused by the element itself).
   */
  archive?: boolean;
}

/** How often leasing also looks for expired leases (elements whose worker died): at most this, and a quarter of the visibility timeout. */
const EXPIRED_CHECK_MS = 1_000;
/**
 * How many due elements one poll keeps for the leases that follow, and for how long. FerretDB 1.24
 * filters, sorts and limits in Go: a poll reads and decodes every READY element whatever its limit
 * (at 100 waiting, about 40 ms of FerretDB's CPU and as much of PostgreSQL's), so polling once per
 * lease made a backlog cost its square. A kept element is read again by `_id` before it is leased
 * (another process may have taken it meanwhile): one cheap lookup instead of a poll.
 */
const CANDIDATES_KEPT = 64;
const CANDIDATES_FRESH_MS = 1_000;
/** Retries of an element whose infrastructure was unavailable back off to this, and no further. */
const UNAVAILABLE_BACKOFF_MAX_MS = 15_000;

export class DurableQueue<P, R = unknown> {
  /** The elements: live ones, and finished ones where they are not archived (see `archive`). */
  readonly items: Collection<QueueItem<P, R>>;
  /** Archived elements (see `archive`); also those an earlier version archived. */
  readonly finished: Collection<QueueItem<P, R>>;
  /** Notes of elements whose hand-off was refused, by `refusalKey` (see `refusedWhere`). */
  readonly refusals: Collection<{ _id: string; key: string }>;
  /** Told of each element as a refusal of its hand-off is recorded (see `whenRefused`). */
  private refusalHook: ((item: QueueItem<P, R>) => Promise<unknown>) | undefined;
  /** Whether `finished` holds elements although this queue does not archive: looked up once (see `mayBeArchived`). */
  private archivedBefore: Promise<boolean> | undefined;
  private readonly cas: VersionedDocuments<ItemState<P, R>>;
  /** The outbox relay running in this process, if any, given each element completed here (`handCompletedTo`). */
  private completedTaker: ((item: QueueItem<P, R>) => boolean) | undefined;
  /** Compare-and-swap on archived copies, for the rare relay that adds a delivery to one (recordInArchive). */
  private readonly archiveCas: VersionedDocuments<ItemState<P, R>>;
  /**
   * The element as its lease last wrote it. Sealing, renewing, completing or failing starts from
   * it instead of reading the element again; if it changed meanwhile (an amendment), the
   * compare-and-swap notices and reads it (kit/versioned.ts).
   */
  private readonly leaseHeads = new WeakMap<Lease<P>, Head<ItemState<P, R>>>();
  readonly visibilityTimeoutMs: number;
  readonly maxAttempts: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly maxWaits: number;
  private expiredCheckedAt = 0;
  /** Due elements from the last poll not tried yet, oldest first (see CANDIDATES_KEPT). */
  private candidates: QueueItem<P, R>[] = [];
  /** When they were read (performance.now(): a clock that never steps back). */
  private candidatesReadAt = 0;
  private polling: Promise<void> | undefined;
  /** Rings due for elements put back with a backoff, by their 100 ms slot (see ringWhenDue). */
  private readonly retryRings = new Map<number, NodeJS.Timeout>();
  /** This queue's metric labels: its database (the stage's) and its name. */
  readonly labels: { database: string; queue: string };

  constructor(
    db: Db,
    readonly name: string,
    private readonly options: QueueOptions = {},
  ) {
    this.items = db.collection<QueueItem<P, R>>(`queue_${name}`);
    this.finished = db.collection<QueueItem<P, R>>(`queue_${name}_finished`);
    this.refusals = db.collection(`queue_${name}_refusals`);
    this.cas = new VersionedDocuments(this.items as unknown as Collection<Head<ItemState<P, R>>>, db.collection(`queue_${name}_history`), {
      createHeads: false,
      incarnation: 'enqueuedAt',
      codec: storedItems,
    });
    // Its history is looked up by _id only, so it needs no index, and exists once a merge happened.
    this.archiveCas = new VersionedDocuments(this.finished as unknown as Collection<Head<ItemState<P, R>>>, db.collection(`queue_${name}_archive_history`), {
      createHeads: false,
      codec: storedItems,
    });
    this.visibilityTimeoutMs = options.visibilityTimeoutMs ?? 30_000;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.backoffBaseMs = options.backoffBaseMs ?? 500;
    this.backoffMaxMs = options.backoffMaxMs ?? 60_000;
    this.maxWaits = options.maxWaits ?? 120;
    this.labels = { database: db.databaseName, queue: name };
    countQueueFromZero(this.labels);
    onScrape(`${db.databaseName}/${name}`, { read: () => this.observe(), forget: () => this.forgetObserved() });
  }

  /** Depth, oldest waiting element, leases and outbox backlog, for /metrics (counted at scrape time only). */
  private async observe(): Promise<() => void> {
    const now = new Date();
    const count = (filter: Record<string, unknown>) => this.items.countDocuments(filter as Filter<QueueItem<P, R>>);
    // One after another, not side by side: a read a paused database holds up then holds one
    // connection, not six (each a PostgreSQL backend that stays once opened: 25 queues' reads
    // side by side left 150 more after a 36 s pause). A scrape waits a few milliseconds more.
    const ready = await count({ status: 'READY' });
    const leased = await count({ status: 'LEASED' });
    const failed = await count({ status: 'FAILED' });
    const inFlight = await count({ status: 'LEASED', availableAt: { $gt: now } });
    const pending = await count({ outboxPending: true });
    const oldest = await this.due(now, 1, 'enqueuedAt'); // an element enqueued `ahead` is not the one waiting longest
    return () => {
      queueDepthGauge.set({ ...this.labels, status: 'READY' }, ready);
      queueDepthGauge.set({ ...this.labels, status: 'LEASED' }, leased);
      queueDepthGauge.set({ ...this.labels, status: 'FAILED' }, failed);
      queueLeasesInFlight.set(this.labels, inFlight);
      outboxBacklog.set(this.labels, pending);
      // As of now, not of when the count was asked for: a count held up by the database shows the wait it missed.
      queueOldestAge.set(this.labels, oldest[0] ? Math.max(0, Date.now() - oldest[0].enqueuedAt.getTime()) / 1000 : 0);
    };
  }

  private forgetObserved(): void {
    for (const status of ['READY', 'LEASED', 'FAILED']) queueDepthGauge.remove({ ...this.labels, status });
    for (const gauge of [queueLeasesInFlight, outboxBacklog, queueOldestAge]) gauge.remove(this.labels);
  }

  async ensureIndexes(): Promise<void> {
    // Leasing asks for live elements that are due, oldest first; the relay for pending outboxes.
    await ensureIndex(this.items, { status: 1, availableAt: 1 }, { name: 'due' });
    await ensureIndex(this.items, { outboxPending: 1, outboxDueAt: 1 }, { name: 'outbox_due' });
    // Its prefix, as earlier versions declared it: one index fewer to write (absent on a new database).
    await retireIndex(this.items, 'outbox_pending');
    await ensureIndex(this.items, { outboxFresh: 1 }, { name: 'outbox_fresh' });
    await ensureIndex(this.finished, { status: 1 }, { name: 'by_status' });
    if (this.options.refusalKey) await ensureIndex(this.refusals, { key: 1 }, { name: 'by_key' });
    await this.cas.ensureIndexes();
  }

  /**
   * Stores the element unless an element with this id exists; returns the stored one either way.
   * `ahead`: the element is leased before those already waiting (a customer's cancellation must
   * not wait behind a backlog of new orders' steps). Elements are leased oldest `availableAt`
   * first, so it is due from the start of time; its wait is still counted from now.
   */
  async enqueue(id: string, payload: P, options: { availableAt?: Date; ahead?: boolean } = {}): Promise<{ item: QueueItem<P, R>; created: boolean }> {
    // Its finished elements are not all kept: a duplicate enqueue of one would run it again.
    if (this.options.postsOnly) throw new Error(`queue ${this.name} takes posts only`);
    const item = this.newItem(id, payload, 'READY', [], options.ahead ? new Date(0) : options.availableAt);
    // A late duplicate of a finished element must not come back to life. Where finished elements
    // stay in `items`, its insert is refused; an archived one is looked for first...
    const archived = await this.mayBeArchived();
    const alreadyFinished = archived ? await this.findOneIn(this.finished, id) : null;
    if (alreadyFinished) return { item: alreadyFinished, created: false };
    try {
      await this.items.insertOne(storedItems.encode(item) as never);
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      return { item: (await this.get(id))!, created: false };
    }
    // ...and again after inserting, for an archive that raced with us (archiving writes
    // `finished` before removing the live copy, so one of the two checks sees it).
    const finished = archived ? await this.findOneIn(this.finished, id) : null;
    if (finished) {
      // The finished copy is the element: a live one is ours, or came from ours (leased or
      // changed in the meantime), and goes with whatever history it made.
      await this.items.deleteOne({ _id: id } as Filter<QueueItem<P, R>>);
      await this.cas.dropHistory(id);
      return { item: finished, created: false };
    }
    queueEnqueued.inc(this.labels);
    this.ring('work');
    return { item, created: true };
  }

  /** Whether the element is live (waiting, leased or parked), not finished or unknown: one lookup by `_id`. */
  async isLive(id: string): Promise<boolean> {
    const found = await this.items.findOne({ _id: id } as Filter<QueueItem<P, R>>, { projection: { status: 1 } });
    return found !== null && !isFinished(found as QueueItem<P, R>);
  }

  /**
   * The live elements (waiting, leased or parked) matching `filter`: one equality query per
   * status, each served by the `{ status, availableAt }` index (or, on FerretDB, its GIN twin),
   * since finished elements may stay in `items` (see `archive`), as many as were ever finished,
   * and a `$in` on status would read them all on FerretDB.
   */
  async liveWhere(filter: Filter<QueueItem<P, R>>): Promise<QueueItem<P, R>[]> {
    const statuses: QueueStatus[] = ['READY', 'LEASED', 'FAILED'];
    const found = await Promise.all(statuses.map((status) => this.items.find({ ...filter, status } as Filter<QueueItem<P, R>>).toArray()));
    return found.flat().map(readItem) as QueueItem<P, R>[];
  }

  /**
   * The elements noted under `key` (see `refusalKey`) that finished (DONE) with a hand-off its
   * receiver refused and wait for a person (see resolveRefused). Such an element is never
   * archived, so `items` holds it. Notes are kept (one per element ever refused, which is rare):
   * one whose element has none waiting any more is passed over, and deleting one as a person
   * decides could race a relay recording the same refusal again.
   */
  async refusedWhere(key: string): Promise<QueueItem<P, R>[]> {
    const notes = await this.refusals.find({ key }).toArray();
    const found = await findByIds(this.items as unknown as Collection<{ _id: string }>, notes.map((note) => note._id));
    return (found as unknown as QueueItem<P, R>[]).map(readItem).filter((item) => item.status === 'DONE' && item.outbox.some((message) => message.refused));
  }

  /** Whether finished elements move to `finished` (see `archive`). */
  private async archives(): Promise<boolean> {
    return this.options.archive ?? !(await this.cas.guarded());
  }

  /**
   * Whether `finished` may hold elements: this queue archives, or an earlier version did (looked
   * up once per process; a queue that does not archive never starts to).
   */
  private async mayBeArchived(): Promise<boolean> {
    if (await this.archives()) return true;
    this.archivedBefore ??= this.finished.findOne({}, { projection: { _id: 1 } }).then(
      (found) => found !== null,
      (error: unknown) => {
        this.archivedBefore = undefined;
        throw error;
      },
    );
    return this.archivedBefore;
  }

  /** Of these elements, the ones parked (FAILED, waiting for a person): one query. */
  async parkedAmong(ids: readonly string[]): Promise<QueueItem<P, R>[]> {
    if (ids.length === 0) return [];
    return ((await this.items.find({ _id: { $in: [...ids] }, status: 'FAILED' } as Filter<QueueItem<P, R>>).toArray()) as QueueItem<P, R>[]).map(readItem);
  }

  async get(id: string): Promise<QueueItem<P, R> | null> {
    return (await this.findOneIn(this.items, id)) ?? (await this.findOneIn(this.finished, id));
  }

  /** One element by id, as it is used (see `storedItems`). */
  private async findOneIn(collection: Collection<QueueItem<P, R>>, id: string): Promise<QueueItem<P, R> | null> {
    const found = (await collection.findOne({ _id: id } as Filter<QueueItem<P, R>>)) as QueueItem<P, R> | null;
    return found && readItem(found);
  }

  /**
   * Moves a finished element (DONE or CANCELLED, every message delivered or given up)
   * out of the live collection and drops its compare-and-swap history (where versions are claimed).
   */
  private async archiveIfFinished(head: QueueItem<P, R>): Promise<void> {
    if (!(await this.leavesWhenFinished(head))) return;
    if (this.options.postsOnly && head.outbox.every((message) => message.delivered)) {
      await this.items.deleteOne({ _id: head._id } as Filter<QueueItem<P, R>>);
      await this.cas.dropHistory(head._id);
      return;
    }
    try {
      await this.finished.insertOne(storedItems.encode(head) as never);
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      await this.recordInArchive(head._id, new Set(head.outbox.filter((message) => message.delivered).map((message) => message.id)));
    }
    await this.items.deleteOne({ _id: head._id } as Filter<QueueItem<P, R>>);
    await this.cas.dropHistory(head._id);
  }

  /** Whether a finished element leaves `items` now: a post whose every message was delivered (removed), or archived. */
  private async leavesWhenFinished(head: QueueItem<P, R>): Promise<boolean> {
    if (!archivable(head)) return false;
    return (!!this.options.postsOnly && head.outbox.every((message) => message.delivered)) || (await this.archives());
  }

  /**
   * Makes the archived copy of an element say that these messages were delivered. Two relays can
   * record one element from the same read, one delivering a message and the other seeing it
   * refused; whichever archives first, a message delivered by either was delivered. Rare, so a
   * compare-and-swap of its own keeps two such relays from undoing each other's records.
   */
  private async recordInArchive(id: string, delivered: ReadonlySet<string>): Promise<void> {
    if (delivered.size === 0) return;
    const outcomes = new Map([...delivered].map((messageId) => [messageId, null]));
    await this.archiveCas.update(id, (archived) => {
      if (!archived?.outbox.some((message) => !message.delivered && delivered.has(message.id))) return REFUSED;
      return withDeliveries(archived, outcomes, new Set());
    });
  }

  /**
   * Leases up to `limit` of the oldest due elements. Elements whose lease expired
   * are due again; one that has used all its attempts is parked as FAILED instead.
   */
  async lease(owner: string, limit: number): Promise<Lease<P>[]> {
    const leases: Lease<P>[] = [];
    let polled = false;
    while (leases.length < limit) {
      if (this.candidates.length === 0 || performance.now() - this.candidatesReadAt > CANDIDATES_FRESH_MS) {
        // Kept candidates all refused (taken elsewhere): one fresh poll, not a loop of them.
        if (polled) break;
        await this.poll(limit);
        polled = true;
        if (this.candidates.length === 0) break;
      }
      // Every lease wanted is tried at once: one after another, a worker freed of eight elements
      // waited eight round trips before starting the first of the next eight, and a busy stage's
      // queue grew while its worker had slots free (docs/benchmarks.md, "2026-12-04 (late)").
      const picked = this.pickCandidates(limit - leases.length);
      // A copy this call just read starts the compare-and-swap; one kept from an earlier poll is
      // read again first (one lookup by _id). Its element may have been leased elsewhere (the read
      // then refuses it at once), or finished and, for a moment, stored again by a late duplicate
      // enqueue at version 0 again: where versions are claimed, a kept copy of version 0 would
      // match that one without a read. A guarded replace is made from exactly the revision it
      // names, so there a kept copy starts it as well: one that changed since fails the replace,
      // and the next attempt reads the element.
      const startFromKept = polled || (await this.cas.guarded());
      const taken = await Promise.all(picked.map((candidate) => this.leaseOne(String(candidate._id), owner, startFromKept ? (candidate as Head<ItemState<P, R>>) : undefined)));
      for (const lease of taken) if (lease) leases.push(lease);
    }
    return leases;
  }

  /**
   * Takes up to `count` kept candidates to lease. Workers polling together would all fight for
   * the same oldest elements; taking them at random from the oldest few spreads them out, at
   * little cost to order. One enqueued ahead (due before it was enqueued) is taken first: that
   * is what it is for.
   */
  private pickCandidates(count: number): QueueItem<P, R>[] {
    const picked: QueueItem<P, R>[] = [];
    while (picked.length < count && this.candidates.length > 0) {
      const window = Math.min(this.candidates.length, (count - picked.length) * 4);
      const ahead = this.candidates[0]!.availableAt.getTime() < this.candidates[0]!.enqueuedAt.getTime();
      picked.push(...this.candidates.splice(ahead ? 0 : Math.floor(Math.random() * window), 1));
    }
    return picked;
  }

  /** Reads the due elements into `candidates`; concurrent callers share one poll. */
  private poll(limit: number): Promise<void> {
    this.polling ??= (async () => {
      const now = new Date();
      const readAt = performance.now();
      this.candidates = await this.due(now, Math.max(limit * 4, CANDIDATES_KEPT), 'availableAt', this.timeToLookForExpired(now));
      this.candidatesReadAt = readAt;
    })().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  /**
   * Live elements that are due (READY, or LEASED with an expired lease), oldest first by
   * `order`. One equality query per status: each is served by the `{ status, availableAt }`
   * index on MongoDB, and on FerretDB by that index's GIN twin, which serves equalities only
   * (a `$in` on status would read every live element).
   */
  async due(now: Date, limit: number, order: 'availableAt' | 'enqueuedAt' = 'availableAt', withExpired = true): Promise<QueueItem<P, R>[]> {
    const byStatus = (status: QueueStatus) =>
      this.items
        .find({ status, availableAt: { $lte: now } } as Filter<QueueItem<P, R>>)
        .sort({ [order]: 1 })
        .limit(limit)
        .toArray()
        .then((found) => (found as QueueItem<P, R>[]).map(readItem));
    const [ready, expired] = await Promise.all([byStatus('READY'), withExpired ? byStatus('LEASED') : []]);
    return [...ready, ...expired].sort((a, b) => a[order].getTime() - b[order].getTime()).slice(0, limit);
  }

  /**
   * Whether a look for due elements should also look for expired leases (`due`'s `withExpired`),
   * true about once a second. A lease expires only after visibilityTimeoutMs, and only when its
   * worker died: looking for expired leases on every poll doubled the polling.
   */
  timeToLookForExpired(now = new Date()): boolean {
    if (now.getTime() - this.expiredCheckedAt < Math.min(EXPIRED_CHECK_MS, this.visibilityTimeoutMs / 4)) return false;
    this.expiredCheckedAt = now.getTime();
    return true;
  }

  /** Leases one particular element if it is due (aggregation picks its own elements); `known`: as just read. */
  async leaseById(id: string, owner: string, known?: QueueItem<P, R>): Promise<Lease<P> | null> {
    return this.leaseOne(id, owner, known as Head<ItemState<P, R>> | undefined);
  }

  private async leaseOne(id: string, owner: string, known?: Head<ItemState<P, R>>): Promise<Lease<P> | null> {
    let exhausted = false;
    let takenOver = false;
    let waitedMs: number | undefined;
    const head = await this.cas.update(id, (current) => {
      exhausted = false;
      const now = new Date();
      if (!current || !isDue(current, now)) return REFUSED;
      takenOver = current.status === 'LEASED';
      waitedMs = current.attempts === 0 && !current.waits ? now.getTime() - current.enqueuedAt.getTime() : undefined;
      if (current.attempts >= this.maxAttempts) {
        exhausted = true;
        return this.failedState(current, current.lastError ?? 'lease expired too many times (worker crashed or stuck)');
      }
      return {
        ...stateOf(current),
        status: 'LEASED',
        attempts: current.attempts + 1,
        availableAt: new Date(now.getTime() + this.visibilityTimeoutMs),
        // Unique to this lease, not only to this version: an element finished and, for a moment,
        // stored again by a late duplicate enqueue starts again at version 0, and a token made
        // from the version would let the first lease's worker complete the second one's.
        leaseToken: randomInt(1, 2 ** 48),
        leaseOwner: owner,
        updatedAt: now,
      };
    }, known);
    if (head === REFUSED) return null;
    if (takenOver) queueLeaseExpiries.inc(this.labels);
    if (exhausted) {
      queueDeadLetters.inc(this.labels);
      return null;
    }
    if (waitedMs !== undefined) queueWait.observe(this.labels, waitedMs / 1000);
    const lease: Lease<P> = { id, token: head.leaseToken!, payload: head.payload, attempts: head.attempts, trace: head.trace };
    this.leaseHeads.set(lease, head);
    return lease;
  }

  /**
   * Changes a live element's payload while it is in flight. A READY or FAILED element
   * simply takes the new payload. A LEASED element's lease is revoked in the same write:
   * the element is READY again with the new payload and its worker can no longer seal,
   * complete or fail it, so the work is redone with the change instead of finishing with
   * the old payload. A sealed element is left as it is. `decide` returns null when the
   * element already carries the change.
   */
  async amend(id: string, decide: (item: QueueItem<P, R>) => Amendment<P> | null): Promise<{ outcome: AmendOutcome; item: QueueItem<P, R> | null }> {
    const { outcome, item } = await this.changeLive(id, 'amended', (current) => {
      const amendment = decide(current);
      if (!amendment) return null;
      const revoked =
        current.status === 'LEASED' ? { status: 'READY' as const, availableAt: new Date(), leaseOwner: null, attempts: Math.max(0, current.attempts - 1) } : {};
      return { state: { ...revoked, payload: amendment.payload }, messages: amendment.messages ?? [] };
    });
    return { outcome, item };
  }

  /**
   * Takes a live element out of the pipeline (its order was cancelled), unless its worker is
   * past the point of no return: CANCELLED in one write with the messages that report it, and
   * a LEASED element's lease is void (its worker can neither seal, complete nor fail it).
   * `messages` may depend on the element as it is withdrawn (parked or not).
   * `withdrawn`; `sealed` (too late); `finished` (done, cancelled or not here: moved on).
   */
  async withdraw(id: string, messages: NewMessage[] | ((current: QueueItem<P, R>) => NewMessage[])): Promise<{ outcome: 'withdrawn' | 'sealed' | 'finished'; item: QueueItem<P, R> | null }> {
    const { outcome, item, changed } = await this.changeLive(id, 'withdrawn', (current) => ({
      state: { status: 'CANCELLED', leaseOwner: null },
      messages: typeof messages === 'function' ? messages(current) : messages,
    }));
    if (changed) await this.archiveIfFinished(item!);
    // `change` above always changes something, so the outcome is never 'unchanged'.
    return { outcome: outcome as 'withdrawn' | 'sealed' | 'finished', item };
  }

  /**
   * Takes an element nobody is working on (READY, or FAILED and waiting for a person) out of the
   * pipeline: CANCELLED in one write with the messages that report it. Unlike `withdraw`, a
   * LEASED element is left to its worker (`working`): for work that cannot be undone once begun
   * and is not sealed first (a charge). `finished`: done, cancelled or not here.
   */
  async cancelWaiting(id: string, messages: (current: QueueItem<P, R>) => NewMessage[]): Promise<'cancelled' | 'working' | 'finished'> {
    const { outcome, item, changed } = await this.changeLive(id, 'cancelled', (current) =>
      current.status === 'LEASED' ? null : { state: { status: 'CANCELLED', leaseOwner: null }, messages: messages(current) },
    );
    if (changed) await this.archiveIfFinished(item!);
    return outcome === 'unchanged' || outcome === 'sealed' ? 'working' : outcome;
  }

  /**
   * What amend and withdraw share: one write to an element that is still live and not sealed,
   * with the messages that report the change. `change` returns null when there is nothing to
   * change (checked before the seal, so an element that already carries a change is not "too late").
   */
  private async changeLive<O extends string>(
    id: string,
    done: O,
    change: (current: QueueItem<P, R>) => { state: Partial<QueueItem<P, R>>; messages: NewMessage[] } | null,
  ): Promise<{ outcome: O | 'unchanged' | 'sealed' | 'finished'; item: QueueItem<P, R> | null; changed: boolean }> {
    let outcome: O | 'unchanged' | 'sealed' | 'finished' = 'finished';
    let seen: QueueItem<P, R> | null = null;
    const head = await this.cas.update(id, (current) => {
      seen = current;
      if (!current || isFinished(current)) {
        outcome = 'finished';
        return REFUSED;
      }
      const changed = change(current);
      if (!changed) {
        outcome = 'unchanged';
        return REFUSED;
      }
      if (current.sealed) {
        outcome = 'sealed';
        return REFUSED;
      }
      outcome = done;
      const outbox = [...current.outbox, ...changed.messages.map(newMessage)];
      return { ...stateOf(current), ...changed.state, ...withOutbox(outbox, current.outboxTriedAt), updatedAt: new Date() };
    });
    if (head === REFUSED) return { outcome, item: seen, changed: false };
    // An amended element that was leased is READY again; either change may have messages to send.
    this.ring('work', 'outbox');
    return { outcome, item: head, changed: true };
  }

  /**
   * A worker's point of no return: from here the payload cannot be amended, so what the
   * worker does next (ship a parcel) uses exactly this payload. Null when the lease was
   * revoked or lost: the worker must stop, and the element will be worked again.
   */
  async seal(lease: Lease<P>): Promise<P | null> {
    const head = await this.cas.update(lease.id, (current) => {
      if (!holds(current, lease)) return REFUSED;
      return { ...stateOf(current!), sealed: true, updatedAt: new Date() };
    }, this.leaseHeads.get(lease));
    if (head === REFUSED) return null;
    // An archived element can be live again for a moment (a late duplicate enqueue stores it, then
    // finds the archived copy and removes its own): nothing irreversible is done for such a copy.
    if ((await this.mayBeArchived()) && (await this.finished.findOne({ _id: lease.id } as Filter<QueueItem<P, R>>, { projection: { _id: 1 } }))) return null;
    this.leaseHeads.set(lease, head);
    return head.payload;
  }

  /**
   * Records messages to send that belong to no element's work (a report of what a change
   * did): stored as a finished element with an outbox, delivered by the relay like any
   * hand-off. Idempotent by id (in a `postsOnly` queue, until the element is delivered).
   */
  async post(id: string, messages: NewMessage[]): Promise<void> {
    if (!this.options.postsOnly && (await this.mayBeArchived()) && (await this.finished.findOne({ _id: id } as Filter<QueueItem<P, R>>, { projection: { _id: 1 } }))) return;
    try {
      await this.items.insertOne(storedItems.encode(this.newItem(id, null as P, 'DONE', messages.map(newMessage))) as never);
      this.ring('outbox');
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  }

  /**
   * An outbox relay in this process (kit/relay.ts) takes the messages of each element completed
   * here as written, and delivers them without reading the queue for them: a read per element
   * fewer. `take` returns false to leave one to its usual pass. Returns the undo.
   */
  handCompletedTo(take: (item: QueueItem<P, R>) => boolean): () => void {
    this.completedTaker = take;
    return () => {
      if (this.completedTaker === take) this.completedTaker = undefined;
    };
  }

  /** Tells this queue's workers (`work`) or relay (`outbox`) at once, wherever they run (kit/doorbell.ts). */
  private ring(...kinds: RingKind[]): void {
    for (const kind of kinds) doorbell.ring(ringKey(this.labels, kind));
  }

  /**
   * Rings `work` when an element put back with a backoff falls due: its workers (or the loop that
   * takes it, like picking's aggregation) take it then, not at their next idle poll, up to 2 s
   * later. Retries falling due within the same 100 ms share one ring, so a burst of them costs a
   * timer per 100 ms, not one per element.
   */
  private ringWhenDue(at: Date): void {
    const slot = Math.ceil(at.getTime() / RETRY_RING_SLOT_MS) * RETRY_RING_SLOT_MS;
    if (this.retryRings.has(slot)) return;
    // A millisecond past the slot: a timer may fire a millisecond early by Date.now(), and a poll
    // then would not yet see an element due exactly at the slot.
    const timer = setTimeout(() => {
      this.retryRings.delete(slot);
      this.ring('work');
    }, Math.max(0, slot + 1 - Date.now()));
    // A process stopping does not wait for it: its polls would find the element anyway.
    timer.unref();
    this.retryRings.set(slot, timer);
  }

  /** Extends a lease for long work; false when the lease was lost (expired and taken over). */
  async renew(lease: Lease<P>): Promise<boolean> {
    const head = await this.cas.update(lease.id, (current) => {
      if (!holds(current, lease)) return REFUSED;
      const now = new Date();
      return { ...stateOf(current!), availableAt: new Date(now.getTime() + this.visibilityTimeoutMs), updatedAt: now };
    }, this.leaseHeads.get(lease));
    if (head === REFUSED) return false;
    this.leaseHeads.set(lease, head);
    return true;
  }

  /**
   * Marks the element DONE and records, in the same write, the messages that hand it
   * on. False when the lease was lost: the caller must then not act on its result.
   */
  async complete(lease: Lease<P>, outcome: { result?: R; messages?: NewMessage[] } = {}): Promise<boolean> {
    const head = await this.cas.update(lease.id, (current) => {
      if (!holds(current, lease)) return REFUSED;
      const outbox = [...current!.outbox, ...(outcome.messages ?? []).map(newMessage)];
      return {
        ...stateOf(current!),
        status: 'DONE',
        result: outcome.result ?? null,
        leaseOwner: null,
        updatedAt: new Date(),
        ...withOutbox(outbox, current!.outboxTriedAt),
      };
    }, this.leaseHeads.get(lease));
    if (head === REFUSED) return false;
    this.leaseHeads.delete(lease);
    queueCompleted.inc(this.labels);
    // Its relay delivers them at once, whoever completed it (a worker, an aggregation, a loop): a
    // relay in this process from what was just written, or else one told to read it.
    if (head.outboxPending && !this.completedTaker?.(head)) this.ring('outbox');
    await this.archiveIfFinished(head);
    return true;
  }

  /**
   * Gives the element back after a failure: retried after a backoff, or parked as
   * FAILED (and sent to the exceptions service) when attempts are used up or the
   * failure is permanent. 'lost' when the lease had already been taken over.
   *
   * `unavailable`: the infrastructure failed, not the work (the database or a service it
   * calls could not be reached). The attempt is given back, so a database restart or a
   * service being restarted never parks an order; such retries back off to 15 s, and only
   * `maxWaits` of them in a row park the element.
   */
  async fail(lease: Lease<P>, reason: string, options: { permanent?: boolean; unavailable?: boolean } = {}): Promise<'retrying' | 'waiting' | 'failed' | 'lost'> {
    let outcome = 'retrying' as 'retrying' | 'waiting' | 'failed';
    const head = await this.cas.update(lease.id, (current) => {
      if (!holds(current, lease)) return REFUSED;
      const now = new Date();
      const waits = (current!.waits ?? 0) + 1;
      if (options.unavailable && !options.permanent && waits <= this.maxWaits) {
        outcome = 'waiting';
        return {
          ...stateOf(current!),
          status: 'READY',
          leaseOwner: null,
          lastError: reason,
          attempts: Math.max(0, current!.attempts - 1),
          waits,
          availableAt: new Date(now.getTime() + jittered(Math.min(UNAVAILABLE_BACKOFF_MAX_MS, this.backoffBaseMs * 2 ** (waits - 1)))),
          updatedAt: now,
        };
      }
      if (options.permanent || current!.attempts >= this.maxAttempts || options.unavailable) {
        outcome = 'failed';
        return this.failedState(current!, options.unavailable ? `${reason} (unavailable ${waits - 1} times in a row)` : reason);
      }
      outcome = 'retrying';
      return {
        ...stateOf(current!),
        status: 'READY',
        leaseOwner: null,
        lastError: reason,
        waits: 0,
        availableAt: new Date(now.getTime() + this.backoffMs(current!.attempts)),
        updatedAt: now,
      };
    }, this.leaseHeads.get(lease));
    this.leaseHeads.delete(lease);
    if (head === REFUSED) return 'lost';
    (outcome === 'failed' ? queueDeadLetters : queueRetries).inc(this.labels);
    if (outcome !== 'failed') this.ringWhenDue(head.availableAt);
    // Parked: its message to the exceptions service goes at once.
    if (outcome === 'failed' && head.outboxPending) this.ring('outbox');
    return outcome;
  }

  /** A person decided to try again (from the exceptions service): READY now, attempts reset. */
  async retry(id: string): Promise<QueueItem<P, R> | null> {
    const head = await this.cas.update(id, (current) => {
      if (!current || current.status !== 'FAILED') return REFUSED;
      const now = new Date();
      return { ...stateOf(current), status: 'READY', attempts: 0, waits: 0, availableAt: now, leaseToken: null, leaseOwner: null, updatedAt: now };
    });
    if (head === REFUSED) return null;
    this.ring('work');
    return head;
  }

  /** A person decided to give up: CANCELLED, with optional messages telling others. */
  async cancel(id: string, messages: NewMessage[] = []): Promise<QueueItem<P, R> | null> {
    const head = await this.cas.update(id, (current) => {
      if (!current || isFinished(current)) return REFUSED;
      const outbox = [...current.outbox, ...messages.map(newMessage)];
      return { ...stateOf(current), status: 'CANCELLED', leaseOwner: null, updatedAt: new Date(), ...withOutbox(outbox, current.outboxTriedAt) };
    });
    if (head === REFUSED) return null;
    this.ring('outbox');
    await this.archiveIfFinished(head);
    return head;
  }

  /**
   * Elements with messages still to deliver: `all`, in no particular order; `fresh`, only those with
   * a message never tried yet (a new hand-off); `due-first`, all of them, those whose next message
   * falls due first first. The relay reads the last two only when there are more pending than it
   * reads at once, and `due-first` seldom: FerretDB 1.24 sorts in Go after reading every match,
   * and a backlog (a target down for long) is exactly when that costs most.
   */
  async withPendingOutbox(limit: number, which: 'all' | 'fresh' | 'due-first' = 'all'): Promise<QueueItem<P, R>[]> {
    const filter = which === 'fresh' ? { outboxFresh: true } : { outboxPending: true };
    const found = this.items.find(filter as Filter<QueueItem<P, R>>);
    if (which === 'due-first') found.sort({ outboxDueAt: 1 });
    return ((await found.limit(limit).toArray()) as QueueItem<P, R>[]).map(readItem);
  }

  /**
   * Records the outcome of delivery attempts for some of an element's messages. `known`: the
   * element as the relay read it (see VersionedDocuments.update).
   *
   * A finished element (DONE or CANCELLED) changes no more except by these records. So when
   * `known` is finished, every delivery went through and nothing is left to deliver, it goes
   * straight to the archive (or, a post, is removed), without first writing a head that would be
   * removed at once: three requests fewer for most elements. (Where finished elements stay in
   * `items`, see `archive`, the head is written: one request.) Only then: a copy that also records a failure could
   * overwrite what another relay recorded since. A relay that finds the element archived by
   * another adds its deliveries to the archive (recordInArchive).
   */
  async recordDeliveries(id: string, outcomes: Map<string, string | null>, refused: ReadonlySet<string> = new Set(), known?: QueueItem<P, R>): Promise<void> {
    const delivered = new Set([...outcomes].filter(([, error]) => error === null).map(([messageId]) => messageId));
    // Noted before the refusal is recorded: a relay that dies between the two leaves a note of
    // nothing (passed over), never a refusal nobody can find.
    if (refused.size > 0 && known) await this.noteRefusal(known);
    if (known && isFinished(known) && delivered.size === outcomes.size) {
      const settled = { ...withDeliveries(known, outcomes, refused, known), _id: known._id, version: known.version + 1 };
      if (await this.leavesWhenFinished(settled)) {
        await this.archiveIfFinished(settled);
        return;
      }
    }
    const head = await this.cas.update(
      id,
      (current) => (current ? withDeliveries(current, outcomes, refused, known, (message, error) => this.refusalException(current, message, error)) : REFUSED),
      known as Head<ItemState<P, R>> | undefined,
    );
    if (head !== REFUSED) {
      // A message never tried was recorded with these outcomes (a refusal's raise): it goes at once.
      if (head.outboxFresh) this.ring('outbox');
      await this.archiveIfFinished(head);
      if (refused.size > 0 && this.refusalHook && head.outbox.some((message) => message.refused)) await this.refusalHook({ ...head, _id: id } as QueueItem<P, R>);
    }
    // Gone: another relay archived it meanwhile, from what it delivered. Add ours.
    else await this.recordInArchive(id, delivered);
  }

  /**
   * `hook` is told of an element once a refusal of its hand-off is recorded: where something
   * already decided what should become of such an element (its order was cancelled), it acts now.
   * What decides it looks for refused elements after it is itself recorded, and the refusal is
   * recorded before the hook looks for it, so one of the two sees the other.
   */
  whenRefused(hook: (item: QueueItem<P, R>) => Promise<unknown>): void {
    this.refusalHook = hook;
  }

  private async noteRefusal(item: QueueItem<P, R>): Promise<void> {
    const key = this.options.refusalKey?.(item as QueueItem<unknown>);
    if (!key) return;
    try {
      await this.refusals.insertOne({ _id: item._id, key });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  }

  /**
   * The exception a finished element's refused hand-off raises, so that a person learns of it: a
   * refusal (bad input, a conflict) is not retried by itself, and the order would wait on it for
   * ever. Null when nobody could act on it: a queue with no exceptions, a live element (its work
   * goes on and says what became of it), a callback (its requester's, not ours), or the raise
   * itself refused.
   */
  private refusalException(item: QueueItem<P, R>, message: OutboxMessage, error: string): NewMessage | null {
    if (!this.options.exceptionMessage || !isFinished(item) || isCallbackTarget(message.target)) return null;
    const raise = this.options.exceptionMessage(item as QueueItem<unknown>, `its hand-off to ${message.target} was refused: ${error}`);
    return raise.target === message.target ? null : raise;
  }

  /**
   * What a person decided about a finished element's refused hand-offs (raised as an exception):
   * `RETRY` sends them again, as new; `CANCEL` gives them up for good, and records `messages` (to
   * say so: stop the order) in the same write. `messages` may be worked out from the element as
   * it is changed; null from it leaves the element as it is. False when the element has none
   * waiting (it is not here, or a person already decided), or nothing was changed.
   */
  async resolveRefused(id: string, action: 'RETRY' | 'CANCEL', messages: NewMessage[] | ((current: QueueItem<P, R>) => NewMessage[] | null) = []): Promise<boolean> {
    const head = await this.cas.update(id, (current) => {
      if (!current?.outbox.some((message) => message.refused)) return REFUSED;
      const told = typeof messages === 'function' ? messages(current as QueueItem<P, R>) : messages;
      if (told === null) return REFUSED;
      const now = new Date();
      const outbox = current.outbox.map((message): OutboxMessage => {
        if (!message.refused) return message;
        if (action === 'CANCEL') return { ...message, refused: false };
        return { ...message, refused: false, abandoned: false, attempts: 0, nextAttemptAt: null, recordedAt: now };
      });
      return { ...stateOf(current), ...withOutbox([...outbox, ...told.map(newMessage)], current.outboxTriedAt), updatedAt: now };
    });
    if (head === REFUSED) return false;
    this.ring('outbox');
    await this.archiveIfFinished(head);
    return true;
  }

  /** Counts per status (tests and benchmarks; the GraphQL interface counts only what it is asked for, see queueDepth). */
  async depth(): Promise<Record<QueueStatus, number>> {
    const statuses: QueueStatus[] = ['READY', 'LEASED', 'DONE', 'FAILED', 'CANCELLED'];
    const counts = await Promise.all(statuses.map((status) => this.count(status)));
    return Object.fromEntries(statuses.map((status, i) => [status, counts[i]!])) as Record<QueueStatus, number>;
  }

  /**
   * Elements in one status, wherever they are kept. A live status is an equality the lookup
   * indexes serve (kit/postgres-indexes.ts), so it costs what the backlog holds. A finished one
   * (DONE, CANCELLED) reads every element that finished: on FerretDB a count decodes each
   * matching document, about 2 s at 20,000.
   */
  async count(status: QueueStatus): Promise<number> {
    const filter = { status } as Filter<QueueItem<P, R>>;
    // Only a finished element is ever archived, and only where this queue or an earlier version archives.
    const finished = status === 'DONE' || status === 'CANCELLED';
    const [kept, archived] = await Promise.all([
      this.items.countDocuments(filter),
      finished && (await this.mayBeArchived()) ? this.finished.countDocuments(filter) : 0,
    ]);
    return kept + archived;
  }

  private newItem(id: string, payload: P, status: QueueStatus, outbox: OutboxMessage[], availableAt?: Date): QueueItem<P, R> {
    const now = new Date();
    return {
      _id: id,
      version: 0,
      // Each stored life of an element starts at a revision of its own (kit/guarded-replace.ts).
      rev: newRevision(),
      queue: this.name,
      payload,
      status,
      attempts: 0,
      availableAt: availableAt ?? now,
      leaseToken: null,
      leaseOwner: null,
      lastError: null,
      result: null,
      enqueuedAt: now,
      updatedAt: now,
      ...withOutbox(outbox),
      trace: captureTrace() ?? null,
    };
  }

  private failedState(current: QueueItem<P, R>, reason: string): ItemState<P, R> {
    const parked = current as QueueItem<unknown>;
    const messages = [...(this.options.exceptionMessage ? [this.options.exceptionMessage(parked, reason)] : []), ...(this.options.parkedMessages?.(parked, reason) ?? [])].map(newMessage);
    const outbox = [...current.outbox, ...messages];
    return {
      ...stateOf(current),
      status: 'FAILED',
      leaseOwner: null,
      lastError: reason,
      updatedAt: new Date(),
      ...withOutbox(outbox, current.outboxTriedAt),
    };
  }

  private backoffMs(attempts: number): number {
    return jittered(Math.min(this.backoffMaxMs, this.backoffBaseMs * 2 ** Math.max(0, attempts - 1)));
  }
}

const RETRY_RING_SLOT_MS = 100;

/** Between half and all of `ms`: jitter spreads the retries of a burst. */
const jittered = (ms: number) => ms / 2 + (Math.random() * ms) / 2;

function isDue(item: QueueItem<unknown, unknown>, now: Date): boolean {
  return (item.status === 'READY' || item.status === 'LEASED') && item.availableAt.getTime() <= now.getTime();
}

function holds(current: QueueItem<unknown, unknown> | null, lease: Lease<unknown>): boolean {
  return !!current && current.status === 'LEASED' && current.leaseToken === lease.token;
}

/** Finished, with nothing left to send and no refused hand-off waiting for a person. */
function archivable(item: QueueItem<unknown, unknown>): boolean {
  return isFinished(item) && !item.outboxPending && !item.outbox.some((message) => message.refused);
}

/** DONE or CANCELLED: no worker changes it any more; only its deliveries are still recorded. */
function isFinished(item: QueueItem<unknown, unknown>): boolean {
  return item.status === 'DONE' || item.status === 'CANCELLED';
}

/**
 * The element's state with the outcomes of some of its messages' deliveries recorded. `read`: the
 * element as the relay read it: its messages were in the relay's hands (see `outboxFresh`), those
 * added since were not.
 */
function withDeliveries<P, R>(
  item: QueueItem<P, R>,
  outcomes: Map<string, string | null>,
  refused: ReadonlySet<string>,
  read?: QueueItem<P, R>,
  raiseOnRefusal?: (message: OutboxMessage, error: string) => NewMessage | null,
): ItemState<P, R> {
  const raises: NewMessage[] = [];
  const outbox = item.outbox.map((message) => {
    if (!outcomes.has(message.id) || message.delivered) return message;
    const error = outcomes.get(message.id) ?? null;
    // A failure of a message that changed since the relay read it (another relay recorded this
    // attempt, a person gave it up or sent it again) is about an attempt already settled: recording
    // it would count it twice, or undo what was decided. A success is recorded whatever came since.
    const seen = read?.outbox.find((candidate) => candidate.id === message.id);
    const stale = seen !== undefined && (seen.attempts !== message.attempts || seen.abandoned !== message.abandoned || seen.recordedAt?.getTime() !== message.recordedAt?.getTime());
    if (error !== null && stale) return message;
    const attempts = message.attempts + 1;
    const nextAttemptAt = error === null ? null : new Date(Date.now() + Math.min(30_000, 100 * 2 ** Math.min(attempts, 10)));
    const wasRefused = error !== null && refused.has(message.id);
    const abandoned = wasRefused || (error !== null && !!message.maxAttempts && attempts >= message.maxAttempts);
    // Raised once: another relay may record the same refusal from its own read.
    const raise = wasRefused && !message.refused ? (raiseOnRefusal?.(message, error) ?? null) : null;
    if (raise) raises.push(raise);
    // Delivered by another relay after all: nothing waits for a person.
    const stillRefused = raise !== null || (error !== null && !!message.refused);
    return { ...message, delivered: error === null, attempts, lastError: error, nextAttemptAt, abandoned, ...(stillRefused || message.refused ? { refused: stillRefused } : {}) };
  });
  outbox.push(...raises.map(newMessage));
  // By the writers' clock, as the messages' recordedAt are: the newest message the relay had read.
  const seen = (read ?? item).outbox.map((message) => message.recordedAt?.getTime() ?? 0);
  const triedAt = new Date(Math.max(item.outboxTriedAt?.getTime() ?? 0, ...seen));
  return { ...stateOf(item), ...withOutbox(outbox, triedAt), outboxTriedAt: triedAt };
}

function stateOf<P, R>(item: QueueItem<P, R>): ItemState<P, R> {
  const { _id, version, ...state } = item;
  return state;
}

/**
 * An element as it is used, however it was stored: its outbox read from `outboxJson` where it was
 * stored as text. Text is read as leniently as objects: only the times present are made dates again.
 */
export function readItem<T extends Pick<ItemState<unknown, unknown>, 'outbox' | 'outboxJson'>>(stored: T): T {
  if (stored.outboxJson == null) {
    if (stored.outboxJson === undefined) return stored;
    const { outboxJson: _none, ...rest } = stored;
    return rest as T;
  }
  const { outboxJson, ...rest } = stored;
  return { ...rest, outbox: recordsFromJson<OutboxMessage>(outboxJson, ['recordedAt', 'nextAttemptAt']) } as T;
}

/**
 * How this version stores an element (see `outboxJson`): its outbox as JSON text, and the array
 * form of earlier versions, which it reads, dropped, so that an element never holds both.
 */
export const storedItems: StoredForm = {
  encode: (used) => {
    const { outbox, outboxJson: _text, ...stored } = used as typeof used & Pick<ItemState<unknown, unknown>, 'outbox' | 'outboxJson'>;
    if (!Array.isArray(outbox)) return used; // stored already
    return { ...stored, outboxJson: JSON.stringify(outbox) } as unknown as typeof used;
  },
  decode: (stored) => readItem(stored as never),
};

const isPending = (message: OutboxMessage) => !message.delivered && !message.abandoned;

/** The outbox and the fields the relay finds it by, always written together. */
function withOutbox(outbox: OutboxMessage[], triedAt?: Date | null): Pick<ItemState<unknown, unknown>, 'outbox' | 'outboxPending' | 'outboxFresh' | 'outboxDueAt'> {
  const pending = outbox.filter(isPending);
  const due = pending.map((message) => (message.nextAttemptAt ?? message.recordedAt ?? new Date(0)).getTime());
  // A message never tried is fresh until the relay has had the element in hand since it was
  // recorded: one left for later because its target's slots were full (a target that hangs) does
  // not keep the element among the new hand-offs, where such elements would pile up ahead of them.
  const isNew = (message: OutboxMessage) => message.attempts === 0 && (!triedAt || (message.recordedAt?.getTime() ?? 0) > triedAt.getTime());
  return {
    outbox,
    outboxPending: pending.length > 0,
    outboxFresh: pending.some(isNew),
    outboxDueAt: due.length > 0 ? new Date(Math.min(...due)) : null,
  };
}

function newMessage({ variables, ...message }: NewMessage): OutboxMessage {
  return {
    ...message,
    // An undefined value is sent as null, as it was when the variables were stored as an object.
    variablesJson: JSON.stringify(variables, (_, value: unknown) => (value === undefined ? null : value)),
    id: message.id ?? randomUUID(),
    delivered: false,
    attempts: 0,
    lastError: null,
    nextAttemptAt: null,
    recordedAt: new Date(),
    trace: captureTrace() ?? null,
  };
}

/**
 * A stage's backlog, as its GraphQL interface shows it (`QueueDepth`): each count is made only
 * when its field is asked for (queueDepthResolvers). `done` reads every element that ever
 * finished, so a view that polls the backlog asks for `ready`, `leased` and `failed`, which
 * stay as cheap as the backlog is short however long the queue has run.
 */
export interface QueueCounts {
  count(status: QueueStatus): Promise<number>;
}

/** Counts made for one request, so that aliases of the same field (30 `done`s) count once. */
const countsOfRequest = new WeakMap<object, Map<string, Promise<number>>>();

/**
 * Counts of every element ever finished, shared by every request of the process: one at a time,
 * its answer kept FINISHED_COUNT_SHARED_MS after it ends, so that dashboards polling `done` cost
 * one read of the whole queue every half minute, not one each.
 */
const finishedCounts = new Map<string, { until: number; count: Promise<number> }>();
const FINISHED_COUNT_SHARED_MS = 30_000;

function sharedFinishedCount(queue: DurableQueue<unknown, unknown>, status: QueueStatus, key: string): Promise<number> {
  const held = finishedCounts.get(key);
  if (held && held.until > Date.now()) return held.count;
  const shared = { until: Number.POSITIVE_INFINITY, count: queue.count(status) };
  finishedCounts.set(key, shared);
  shared.count.then(
    () => (shared.until = Date.now() + FINISHED_COUNT_SHARED_MS),
    () => finishedCounts.get(key) === shared && finishedCounts.delete(key), // a failed count is not kept
  );
  return shared.count;
}

/** `request`: the request's context, whose counts are shared by every field of it that asks. */
export function queueDepth(queue: DurableQueue<unknown, unknown>, request: object): QueueCounts {
  return {
    count: (status) => {
      let counts = countsOfRequest.get(request);
      if (!counts) countsOfRequest.set(request, (counts = new Map()));
      const key = `${queue.labels.database}\u0000${queue.name}\u0000${status}`;
      let count = counts.get(key);
      if (!count) counts.set(key, (count = status === 'DONE' || status === 'CANCELLED' ? sharedFinishedCount(queue, status, key) : queue.count(status)));
      return count;
    },
  };
}

/** The fields of `QueueDepth`, for every subgraph that shows a queue. */
export const queueDepthResolvers = {
  ready: (counts: QueueCounts) => counts.count('READY'),
  leased: (counts: QueueCounts) => counts.count('LEASED'),
  done: (counts: QueueCounts) => counts.count('DONE'),
  failed: (counts: QueueCounts) => counts.count('FAILED'),
};
