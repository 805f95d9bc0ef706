import { randomUUID } from 'node:crypto';
import type { Collection, Db, Filter } from 'mongodb';
import { ensureIndex, findByIds, findWhereIn, insertIgnoringDuplicates, isDuplicateKeyError } from '../../kit/mongo.ts';
import { coalescedInserts } from '../../kit/coalesced-inserts.ts';
import { SequencedLog, sequenceId } from '../../kit/sequenced-log.ts';
import type { ElementType } from '../../pipeline/tracking.ts';
import { groupBy } from '../../kit/group.ts';

// The only code that touches the tracking collections.

export interface TransitionDoc {
  _id: string;
  elementType: ElementType;
  elementId: string;
  orderId: string | null;
  from: string | null;
  to: string;
  node: string;
  at: Date;
  detail: string | null;
  /** The trace of the work that made it, when tracing was on. */
  traceId?: string;
  /** When tracking stored it. */
  recordedAt?: Date;
  /** Which call stored it (a random id), so that a call whose batch failed part-way knows its own. */
  recordedBy?: string;
  /** In the warehouse: the number of its event in the log, from its mark, which the move deletes. */
  eventSeq?: number;
  /**
   * The hour `at` falls in (hourOf): what `since` looks transitions up by. Absent on those stored
   * before it was (`fillHours` gives the recent ones theirs); its log entry has it too, which is how
   * a start tells that an earlier version recorded since the last fill.
   */
  atHour?: number;
}

const HOUR_MS = 3_600_000;

/** The hour a time falls in, counted from 1970 (TransitionDoc.atHour). */
export const hourOf = (at: Date): number => Math.floor(at.getTime() / HOUR_MS);

/** The hours from the one `from` falls in to the one `until` falls in, both included. */
function hoursOf(from: Date, until: Date): number[] {
  const hours: number[] = [];
  for (let hour = hourOf(from); hour <= hourOf(until); hour++) hours.push(hour);
  return hours;
}

/**
 * How far back a window of `since` reaches at most (stageWaits' longest, 7 days), with a day to
 * spare: a transition older than that when `fillHours` runs is never in a window again.
 */
const OLDEST_WINDOW_MS = 8 * 24 * HOUR_MS;

/**
 * One entry of the event log subscribers follow, numbered `seq`. Each is inserted only after
 * the one before it exists, so the log has no gaps and a reader that sees entry n has seen
 * every entry before it. `_id` is `seq` as a zero-padded string: FerretDB answers an `_id`
 * lookup from its index only for strings (a number `_id` is a full scan).
 */
export interface EventDoc extends Omit<TransitionDoc, '_id' | 'recordedAt' | 'recordedBy'> {
  _id: string;
  seq: number;
  transitionId: string;
  recordedAt: Date;
}

export interface OrderRef {
  id: string;
}

export interface ShipmentRef {
  id: string;
}

export class TrackingStore {
  /** Recent transitions: orders still moving, and fulfilled ones not yet archived. */
  readonly transitions: Collection<TransitionDoc>;
  /** The warehouse: histories of fulfilled orders, for analysis; a separate database. */
  readonly warehouse: Collection<TransitionDoc>;
  /**
   * The event log: every recorded transition once, numbered in recording order, in segments
   * of 500 entries (`events_0`, `events_1`, ...) so every lookup stays cheap on FerretDB and
   * old segments are dropped whole; `event_head` records the newest number (kit/sequenced-log.ts).
   */
  private readonly events: SequencedLog<EventDoc>;
  /**
   * Which transitions have their event, by transition id, with the order they are about (marks
   * written before that was kept have none). A separate insert rather than an update of the
   * transition: one insert for a whole group, where each update is a request of its own.
   */
  private readonly appended: Collection<Mark>;
  /** Transitions stored by the deliveries arriving together, in one request (kit/coalesced-inserts.ts). */
  private readonly insertTransitions: (docs: readonly TransitionDoc[]) => Promise<number[]>;
  /** One-off changes to stored data already made (fillHours). */
  private readonly migrations: Collection<{ _id: string; at: Date; throughSeq?: number }>;
  /** Whether fillHours has made sure every transition recent enough for a window has its hour. */
  private hoursFilled = false;

  /** The warehouse is another database (WAREHOUSE_DB_NAME, default `<tracking db>_warehouse`) on the same server. */
  constructor(db: Db, warehouseDbName?: string) {
    this.transitions = db.collection<TransitionDoc>('transitions');
    this.events = new SequencedLog<EventDoc>(db, 'events', { headCollection: 'event_head' });
    this.appended = db.collection<Mark>('appended');
    this.insertTransitions = coalescedInserts(this.transitions);
    this.warehouse = db.client.db(warehouseDbName ?? `${db.databaseName}_warehouse`).collection<TransitionDoc>('transitions');
    this.migrations = db.collection('migrations');
  }

  async ensureIndexes(): Promise<void> {
    await ensureIndex(this.transitions, { orderId: 1, at: 1 }, { name: 'by_order' });
    await ensureIndex(this.transitions, { elementId: 1, at: 1 }, { name: 'by_element' });
    await ensureIndex(this.transitions, { at: 1 }, { name: 'by_time' });
    await ensureIndex(this.transitions, { to: 1, at: 1 }, { name: 'by_state' });
    await ensureIndex(this.appended, { orderId: 1 }, { name: 'by_order' });
    await ensureIndex(this.warehouse, { orderId: 1, at: 1 }, { name: 'by_order' });
    await ensureIndex(this.warehouse, { elementId: 1, at: 1 }, { name: 'by_element' });
    await ensureIndex(this.transitions, { atHour: 1 }, { name: 'by_hour' });
    await ensureIndex(this.warehouse, { atHour: 1 }, { name: 'by_hour' });
  }

  /** Stores a transition once (a re-delivered one is a duplicate key); says whether this call stored it. */
  async recordOnce(doc: TransitionDoc): Promise<{ stored: TransitionDoc; inserted: boolean }> {
    const fresh = { ...doc, atHour: hourOf(doc.at), recordedAt: new Date() };
    try {
      await this.transitions.insertOne(fresh);
      return { stored: fresh, inserted: true };
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      const stored = await this.transitions.findOne({ _id: doc._id });
      return stored ? { stored, inserted: false } : this.recordOnce(doc); // moved to the warehouse meanwhile: store again
    }
  }

  /**
   * Stores transitions once each, in one request for all of them (and those of deliveries arriving
   * meanwhile: kit/coalesced-inserts.ts), and says, in order, what came of
   * each: stored by this call, stored before (a redelivery; what is stored), not stored, or not
   * known. Ids must be distinct. A failure does not throw: it comes back with what is known, since
   * what this call stored must still get its events (FerretDB stops at a failing document, MongoDB
   * goes on past it).
   */
  async recordAllOnce(docs: readonly TransitionDoc[]): Promise<{ results: StoreOutcome[]; error?: unknown }> {
    const recordedAt = new Date();
    const recordedBy = randomUUID();
    const fresh = docs.map((doc) => ({ ...doc, atHour: hourOf(doc.at), recordedAt, recordedBy }));
    let failed: number[];
    try {
      failed = await this.insertTransitions(fresh);
    } catch (error) {
      const results = await Promise.all(
        fresh.map(async (doc): Promise<StoreOutcome> => {
          const found = await this.transitions.findOne({ _id: doc._id }).catch(() => undefined);
          if (found === undefined) return { outcome: 'unknown' };
          if (found === null) return { outcome: 'absent' };
          return found.recordedBy === recordedBy ? { outcome: 'inserted', stored: found } : { outcome: 'existing', stored: found };
        }),
      );
      return { results, error };
    }
    const results: StoreOutcome[] = fresh.map((stored) => ({ outcome: 'inserted', stored }));
    // A re-delivery: what is stored is what the first delivery stored (its recordedAt says when),
    // read for all of them together. One not found was moved to the warehouse meanwhile: stored again.
    let existing: Map<string, TransitionDoc>;
    try {
      existing = new Map((await findByIds(this.transitions, failed.map((index) => docs[index]!._id))).map((stored) => [stored._id, stored]));
    } catch (lookupError) {
      for (const index of failed) results[index] = { outcome: 'unknown' };
      return { results, error: lookupError };
    }
    let error: unknown;
    await Promise.all(
      failed.map(async (index) => {
        const found = existing.get(docs[index]!._id);
        if (found) {
          results[index] = { outcome: 'existing', stored: found };
          return;
        }
        try {
          const { stored, inserted } = await this.recordOnce(docs[index]!);
          results[index] = inserted ? { outcome: 'inserted', stored } : { outcome: 'existing', stored };
        } catch (lookupError) {
          error ??= lookupError;
          results[index] = { outcome: 'unknown' };
        }
      }),
    );
    return { results, error };
  }

  /** The entry of a transition's event, or null if it has none yet (asked only for re-deliveries). */
  async appendedSeq(transitionId: string): Promise<number | null> {
    return (await this.appended.findOne({ _id: transitionId }))?.seq ?? null;
  }

  /** The entries of the events of those of these transitions that have one, by transition id (appendedSeq, for many at once). */
  async appendedSeqs(transitionIds: readonly string[]): Promise<Map<string, number>> {
    return new Map((await findByIds(this.appended, transitionIds)).map((mark) => [mark._id, mark.seq]));
  }

  /** Log entries for consecutive numbers, in one request per segment: how many leading ones went in (see SequencedLog.insertRun). */
  appendEvents(events: readonly EventDoc[]): Promise<number> {
    return this.events.insertRun(events);
  }

  /** Records which entry holds each transition's event, in one request; one recorded already stays as it is. */
  async markAppended(marks: readonly { transitionId: string; seq: number; orderId: string | null }[]): Promise<void> {
    if (marks.length === 0) return;
    await insertIgnoringDuplicates(
      this.appended,
      marks.map(({ transitionId, seq, orderId }) => ({ _id: transitionId, seq, ...(orderId ? { orderId } : {}) })),
    );
  }

  /** The marks of these transitions of one order: by the order (one index lookup), then by id for those not found so (older marks, which name no order). */
  private async marksOf(orderId: string | null, transitionIds: readonly string[]): Promise<Mark[]> {
    const wanted = new Set(transitionIds);
    const byOrder = orderId === null ? [] : (await this.appended.find({ orderId }).toArray()).filter((mark) => wanted.has(mark._id));
    const found = new Set(byOrder.map((mark) => mark._id));
    const rest = transitionIds.filter((id) => !found.has(id));
    // By id, a lookup each (findByIds: a `$in` would read every order's marks on FerretDB).
    return [...byOrder, ...(await findByIds(this.appended, rest))];
  }

  /**
   * Whether the element's move into `state` has its event, as far as the database says: stored
   * here with a mark, or moved to the warehouse (fulfilled orders' histories, long after their
   * events). Index lookups by the element.
   */
  async entered(elementType: ElementType, elementId: string, state: string): Promise<boolean> {
    const filter = { elementId, elementType, to: state };
    const here = await this.transitions.find(filter, { projection: { _id: 1 } }).toArray();
    if (here.length > 0) return (await findByIds(this.appended, here.map((doc) => doc._id))).length > 0;
    return (await this.warehouse.countDocuments(filter, { limit: 1 })) > 0;
  }

  /** Log entry `seq`, if written. */
  eventAt(seq: number): Promise<EventDoc | null> {
    return this.events.at(seq);
  }

  /** Entries `from` to `to` that exist (and match `filter`), in order: one request per segment of the log. */
  eventsBetween(from: number, to: number, filter: Filter<EventDoc> = {}): Promise<EventDoc[]> {
    return this.events.findBetween(from, to, filter);
  }

  /**
   * Where each event of an order's transitions is in the log, by transition id, read by the order
   * rather than by walking the log: the order's transitions here and in the warehouse, then the
   * marks of those still here (index lookups by the order). An order's follower resuming from far
   * back then reads its own entries only, however many others the log holds. `seq` is null for a
   * transition with no known event: not appended yet, its mark not written, or moved to the
   * warehouse before copies kept their number.
   */
  async eventSeqsOfOrder(orderId: string): Promise<Map<string, { seq: number | null; archived: boolean }>> {
    // One after the other: a move copies to the warehouse before it deletes here, so a transition
    // the first read misses because it moved meanwhile, the second finds.
    const here = await this.transitions.find({ orderId }, { projection: { _id: 1 } }).toArray();
    const archived = await this.warehouse.find({ orderId }, { projection: { _id: 1, eventSeq: 1 } }).toArray();
    const placed = new Map(archived.map((doc) => [doc._id, { seq: doc.eventSeq ?? null, archived: true }]));
    const unplaced = here.map((doc) => doc._id).filter((id) => placed.get(id)?.seq == null);
    for (const id of unplaced) placed.set(id, { seq: null, archived: false });
    for (const mark of await this.marksOf(orderId, unplaced)) placed.set(mark._id, { seq: mark.seq, archived: false });
    return placed;
  }

  /**
   * Records where the events of these transitions of an order are, found by searching the log:
   * a mark for one still here, the number on the warehouse copy of one moved there. The next
   * follower of the order resuming from far back finds them without searching.
   */
  async placeEvents(orderId: string, found: readonly { transitionId: string; seq: number; archived: boolean }[]): Promise<void> {
    await this.markAppended(found.filter((event) => !event.archived).map(({ transitionId, seq }) => ({ transitionId, seq, orderId })));
    await Promise.all(found.filter((event) => event.archived).map(({ transitionId, seq }) => this.warehouse.updateOne({ _id: transitionId, orderId }, { $set: { eventSeq: seq } })));
  }

  /** Drops whole segments whose entries all come before `seq`; returns how many. */
  dropEventsBefore(seq: number): Promise<number> {
    return this.events.dropBefore(seq);
  }

  /** The oldest entry of the log still kept: older cursors have expired. */
  eventFloor(): Promise<number> {
    return this.events.recordedFloor();
  }

  /** The newest entry's number, as its writers last recorded it (possibly a little behind). */
  headSeq(): Promise<number> {
    return this.events.recordedHead();
  }

  /** Written after each append; `$max`, so a late writer never moves it back. */
  advanceHead(seq: number): Promise<void> {
    return this.events.advanceHead(seq);
  }

  /** The newest entry's number (0 for an empty log): the recorded head, then a walk past it. */
  lastEventSeq(): Promise<number> {
    return this.events.lastSeq();
  }

  /** Wherever the rows are: the tracking store, the warehouse, or (mid-move) both, each once. */
  async forOrders(orderIds: readonly string[]): Promise<TransitionDoc[]> {
    if (orderIds.length === 0) return [];
    // One after the other: a move copies to the warehouse before it deletes here, so what the first
    // read misses because it moved meanwhile, the second finds. Read at once, the two could both
    // miss the rows being moved (there before the copies went in, here after the rows went), and
    // the history would lack them though newer rows of the order were still here.
    const here = await findWhereIn(this.transitions, 'orderId', orderIds);
    return this.tiesInLogOrder(merged([here, await findWhereIn(this.warehouse, 'orderId', orderIds)]));
  }

  async forElement(elementId: string): Promise<TransitionDoc[]> {
    return this.tiesInLogOrder(merged(await Promise.all([this.transitions.find({ elementId }).toArray(), this.warehouse.find({ elementId }).toArray()])));
  }

  /**
   * `list` (in time order) with transitions of the same time in the order the log holds them, as a
   * subscriber got them live: an order's two shipments' first moves, made by one write, share a
   * time, and by id a history listed them otherwise than the stream had. Asks for the log entries
   * of tied transitions only (rare); one not in the log yet comes after those that are.
   */
  private async tiesInLogOrder(list: TransitionDoc[]): Promise<TransitionDoc[]> {
    const tied = list.filter((doc, i) => list[i - 1]?.at.getTime() === doc.at.getTime() || list[i + 1]?.at.getTime() === doc.at.getTime());
    if (tied.length === 0) return list;
    const seqs = await this.appendedSeqs(tied.filter((doc) => doc.eventSeq === undefined).map((doc) => doc._id));
    const seqOf = (doc: TransitionDoc) => doc.eventSeq ?? seqs.get(doc._id) ?? Number.MAX_SAFE_INTEGER;
    return [...list].sort((a, b) => a.at.getTime() - b.at.getTime() || seqOf(a) - seqOf(b) || a._id.localeCompare(b._id));
  }

  /**
   * Orders that moved into a final state (SHIPPED, or CANCELLED with every shipment pulled) before
   * `before`, oldest first: candidates for the warehouse. Looked up by the state (`by_state`, an
   * equality FerretDB passes to its PostgreSQL's index), so a pass reads the orders finished and not
   * yet moved, which the archiver keeps to a few minutes' worth, not the whole store.
   */
  async finishedBefore(before: Date): Promise<string[]> {
    const finished = (
      await Promise.all(
        ORDER_FINAL_STATES.map((to) => this.transitions.find({ to, elementType: 'ORDER', at: { $lt: before } }, { projection: { orderId: 1, at: 1 } }).toArray()),
      )
    ).flat();
    finished.sort((a, b) => a.at.getTime() - b.at.getTime());
    return [...new Set(finished.map((t) => t.orderId).filter((id): id is string => id !== null))];
  }

  /**
   * Copies an order's transitions to the warehouse, then removes them here: a crash in between
   * leaves copies, never gaps. One request for the copies and one per order for the removal (its
   * filter names the order, which both databases look up by index, and then only the copied ids).
   */
  async moveToWarehouse(transitions: readonly TransitionDoc[]): Promise<void> {
    if (transitions.length === 0) return;
    const byOrder = [...groupBy(transitions, (doc) => doc.orderId)].map(([orderId, docs]): [string | null, string[]] => [orderId, docs.map((doc) => doc._id)]);
    const marks = (await Promise.all(byOrder.map(([orderId, ids]) => this.marksOf(orderId, ids)))).flat();
    // The copies keep their events' numbers, which the marks deleted below held: a follower of the
    // order resuming from far back still finds its entries without walking the log.
    const seqs = new Map(marks.map((mark) => [mark._id, mark.seq]));
    const copies = transitions.map((doc) => (seqs.has(doc._id) ? { ...doc, eventSeq: seqs.get(doc._id)! } : doc));
    const copiedBefore = await insertIgnoringDuplicates(this.warehouse, copies); // some copied by an earlier, interrupted move
    // Those copies were made without their numbers (the move died before it could know them, or an
    // older version made them): given them now, before the marks that hold them go.
    await Promise.all(
      copiedBefore
        .map((i) => copies[i]!)
        .filter((copy) => copy.eventSeq !== undefined)
        .map((copy) => this.warehouse.updateOne({ _id: copy._id, orderId: copy.orderId }, { $set: { eventSeq: copy.eventSeq } })),
    );
    await Promise.all(byOrder.map(([orderId, ids]) => this.transitions.deleteMany({ orderId, _id: { $in: ids } })));
    // By the order, as the transitions; an older mark, which names none, by its id (`$in` alone is a scan on FerretDB).
    await Promise.all([
      ...byOrder.filter(([orderId]) => orderId !== null).map(([orderId, ids]) => this.appended.deleteMany({ orderId: orderId!, _id: { $in: ids } })),
      ...marks.filter((mark) => !mark.orderId).map((mark) => this.appended.deleteOne({ _id: mark._id })),
    ]);
  }

  async recent(orderId: string): Promise<TransitionDoc[]> {
    return this.transitions.find({ orderId }).toArray();
  }

  /**
   * Transitions made at or after `from` (and not after `until`), live and in the warehouse. Looked
   * up an hour at a time (`atHour`, one lookup per hour: FerretDB pushes only equality down to its
   * PostgreSQL, where a range on `at` read and decoded every transition ever stored, the
   * warehouse's too, 38 µs each), so what a window costs is what it holds, however long the history.
   */
  async since(from: Date, until: Date): Promise<TransitionDoc[]> {
    const found: TransitionDoc[] = [];
    for await (const hour of this.sinceByHour(from, until)) found.push(...hour);
    return found;
  }

  /**
   * `since`'s transitions an hour at a time, oldest hour first, each hour's oldest first: what
   * reads a window holds one hour of it (and the few read ahead) at a time, where a week of a busy
   * shop is millions. `fields` names the only fields read, besides `_id`.
   */
  async *sinceByHour<F extends keyof TransitionDoc>(from: Date, until: Date, fields?: readonly F[]): AsyncGenerator<Pick<TransitionDoc, F | '_id'>[]> {
    const inWindow = { at: { $gte: from, $lte: until } };
    const collections = [this.transitions, this.warehouse];
    // `at` always: an hour's transitions are put in time order.
    const projection = fields && Object.fromEntries([...fields, 'at'].map((field) => [field, 1]));
    const read = (filter: Filter<TransitionDoc>) =>
      Promise.all(collections.map((collection) => collection.find(filter, { projection }).toArray())).then(merged);
    // Until fillHours has run, some in the window may have no hour: read by `at`, whole but slow.
    if (!this.hoursFilled) {
      yield await read(inWindow);
      return;
    }
    const hours = hoursOf(from, until);
    const ahead: Promise<TransitionDoc[]>[] = [];
    const readAhead = () => {
      const hour = read({ ...inWindow, atHour: hours[ahead.length + taken]! });
      hour.catch(() => {}); // awaited in its turn; not unhandled meanwhile if the reader stops first
      ahead.push(hour);
    };
    let taken = 0;
    while (ahead.length < Math.min(WINDOW_HOURS_AHEAD, hours.length)) readAhead();
    while (ahead.length > 0) {
      const hour = await ahead.shift()!;
      taken += 1;
      if (taken + ahead.length < hours.length) readAhead();
      yield hour;
    }
  }

  /**
   * Gives the transitions stored without their hour theirs: those recent enough for a window of
   * `since`, live and in the warehouse. One read of each collection, then one request per 500
   * transitions found. Done at the first start of this version, and again at a start that finds
   * the newest log entry without its hour: an earlier version recorded since (a rollback, and then
   * this version again). `migrations` records how far the log was when it was last done. Stop every
   * tracking process of an earlier version before this one starts (as `npm start` and `docker
   * compose up` do): what one records while this one runs has no hour until a later start.
   */
  async fillHours(now = new Date()): Promise<number> {
    const done = await this.migrations.findOne({ _id: FILL_HOURS });
    const head = await this.lastEventSeq();
    if (done && !(await this.recordedWithoutHours(head, done.throughSeq ?? 0))) {
      this.hoursFilled = true;
      return 0;
    }
    let filled = 0;
    // Live first: a transition the archiver moves meanwhile is copied as it was, and found in the warehouse after.
    for (const collection of [this.transitions, this.warehouse]) {
      const recent = await collection
        .find({ atHour: { $exists: false }, at: { $gte: new Date(now.getTime() - OLDEST_WINDOW_MS) } } as Filter<TransitionDoc>, { projection: { _id: 1, at: 1 } })
        .toArray();
      for (let i = 0; i < recent.length; i += FILL_BATCH) {
        const batch = recent.slice(i, i + FILL_BATCH);
        await collection.bulkWrite(batch.map((doc) => ({ updateOne: { filter: { _id: doc._id }, update: { $set: { atHour: hourOf(doc.at) } } } })), { ordered: false });
        filled += batch.length;
      }
    }
    await this.migrations.updateOne({ _id: FILL_HOURS }, { $set: { at: new Date(), throughSeq: head } }, { upsert: true });
    this.hoursFilled = true;
    return filled;
  }

  /** Whether the newest log entry, past `through`, was recorded without its hour (by an earlier version). */
  private async recordedWithoutHours(head: number, through: number): Promise<boolean> {
    if (head <= through) return false;
    const newest = await this.eventAt(head);
    return newest !== null && newest.atHour === undefined;
  }
}

/** The states an order ends in: it is finished, and its history can move to the warehouse. */
const ORDER_FINAL_STATES = ['SHIPPED', 'CANCELLED'] as const;

/** How many hours of a window `sinceByHour` has under way at once (a lookup each, live and in the warehouse): tracking's other requests share its connections. */
const WINDOW_HOURS_AHEAD = 4;

/** The `migrations` entry of fillHours. */
const FILL_HOURS = 'transitions_by_hour';
/** Transitions given their hour in one request. */
const FILL_BATCH = 500;

/** That a transition's event is entry `seq` of the log. */
interface Mark {
  _id: string;
  seq: number;
  orderId?: string;
}

/** What storing one transition came to (TrackingStore.recordAllOnce). */
export type StoreOutcome = { outcome: 'inserted'; stored: TransitionDoc } | { outcome: 'existing'; stored: TransitionDoc } | { outcome: 'absent' } | { outcome: 'unknown' };

/** Sorts like the number it holds: 000000000000042. */
export const eventId = sequenceId;

function merged(lists: TransitionDoc[][]): TransitionDoc[] {
  const byId = new Map<string, TransitionDoc>();
  for (const list of lists) for (const doc of list) byId.set(doc._id, doc);
  return [...byId.values()].sort((a, b) => a.at.getTime() - b.at.getTime() || a._id.localeCompare(b._id));
}
