import type { Collection, Document, Filter } from 'mongodb';
import { ensureIndex, insertIgnoringDuplicates, isDuplicateKeyError, isFerretDB } from './mongo.ts';
import { findPageRows, pageOfRows, rowsAfter, type Connection, type PageRequest, type TimeOrdering } from './paging.ts';

/**
 * Newest-first lists of a large collection that stay fast on FerretDB's PostgreSQL handler.
 *
 * On MongoDB a list page (`find(filter).sort({ placedAt: -1, _id: -1 }).limit(21)`) walks an index
 * and reads 21 rows. FerretDB 1.24 pushes only equality filters down to PostgreSQL, and no sort
 * or limit with them: it reads every row the filter matches, decodes each in Go, sorts them and
 * keeps 21. The support staff's list of SHIPPED orders, through the gateway, took 3.3 s at 10,000
 * orders and 9.2 s at 30,000: past the gateway's 15 s limit at about 50,000.
 *
 * So on that backend each row carries the time slot it falls in (`slotField`, counted from the
 * epoch: 15 seconds for the busy lists, `BUSY_LISTS`), and a small directory collection names the
 * slots each list has rows in, as a tree: slots within their 64-minute span, spans within their
 * 11-day span, and those within their 8-year span (a customer's own list has days within 256-day
 * spans, `CUSTOMER_LISTS`, and reads a busy day a second at a time, `BusySlots`). A page walks the tree newest first, reading the names of one span at a time, and
 * reads the rows of the slots it finds (each slot one equality query, `{ ...filter, placedSlot: s }`,
 * served by an index): one slot first, then as many as the page still needs at the rows a slot
 * seen so far, up to 16 at once. It reads about a page's rows, however large the collection; and
 * however busy: at 8 orders a second a slot holds 120 orders, where an hour held 28,800.
 *
 * A row's slot is named before the row is written into the list (inserted, or changed so that it
 * matches the list's filter), so a listed row's slot is always there. A name left behind (the
 * write then failed) costs one empty lookup. On MongoDB, and on FerretDB's SQLite handler (which
 * pushes down no filter but `_id`, so a slot lookup would read the whole collection each time),
 * pages are read as before.
 *
 * Rows written before a collection had slots (`legacy`, noted when the directory was first made)
 * have none; a page that runs past the slotted rows reads them the old way (`{ slotField: absent }`).
 */
export interface SlotDoc {
  _id: string;
  /** The span it is named in: `<list>|<level>|<span>`, or `<list>|top` for the widest spans. */
  list: string;
  /** The slot's or the span's number at its level. */
  slot: number;
  /** On the `#since` entry only: rows were already there, without slots. */
  legacy?: boolean;
  /** On a slot of a list per owner (`BusySlots`): its rows are read a tick at a time. */
  busy?: boolean;
}

/** How a list's time is cut up: the length of a slot, and the levels of the directory's tree above it. */
export interface SlotGeometry {
  slotMs: number;
  /** The slot's own level, then each level above it; the last one's spans are all named in one place (`<list>|top`). */
  levels: number;
}

/**
 * The lists that grow with the business: 15-second slots (120 orders at 8 a second), named within
 * their 64-minute span, those within their 11-day span, and those within their 8-year span.
 */
export const BUSY_LISTS: SlotGeometry = { slotMs: 15_000, levels: 4 };
/**
 * A customer's own list: a customer places a few orders a day at most, so a slot is a day, and the
 * days are named within their 256-day span. A page of a regular's orders reads the top, one span's
 * days and a few days: three or four round trips, however many orders the customer has.
 */
export const CUSTOMER_LISTS: SlotGeometry = { slotMs: 24 * 3600_000, levels: 2 };

/**
 * A list per owner whose slot (a customer's day) can get busy: a business customer, or a script,
 * placing hundreds of orders a day made every page of 3 read all of that day's orders. So each row
 * also carries the owner and its one-second tick (`field`, as `ownerSlotKey(owner, tick)`), every
 * tick is named in a tree of its own per owner (`<owner>~ticks`, `OWNER_TICKS`), and once a
 * process has written `threshold` rows into one slot, or a page has read that many from it whole,
 * the slot is marked `busy`. A busy slot is read
 * a tick at a time, from the ticks named within its 18-hour spans of ticks: two more round trips,
 * and about a page of rows. A slot never marked is read whole, as before, so a regular's page costs
 * what it did; a tick's name rides along with the day's in the same insert.
 *
 * A slot that began before the first start of a version that writes ticks (noted as `#ticks-since`)
 * is read whole: its earlier rows have no tick. (A process of an older version still writing
 * during a rolling upgrade writes rows without ticks; upgrade within a day of the first start.)
 */
export interface BusySlots<T> {
  /** The row field holding `ownerSlotKey(owner, tick)`, with an index of its own. */
  field: keyof T & string;
  /** Rows a process writes into one slot before it marks the slot busy. */
  threshold: number;
}

/** Rows a process writes into one customer's day before the day is read a tick at a time: reading a day whole costs less below this. */
export const BUSY_DAY_ROWS = 64;

/**
 * An owner's ticks (see BusySlots): a second each, so a tick holds what one customer placed in a
 * second, however busy; named within 4-minute spans, those within 18-hour spans, those within
 * 194-day spans. A tick is named once per process: one insert per order at most, and for a
 * customer placing many a second, one a second.
 */
export const OWNER_TICKS: SlotGeometry = { slotMs: 1_000, levels: 4 };

/** Each level of the directory's tree names up to this many of the level below. */
const FANOUT = 256;
/** Slots read at once at first while filling a page; then as many as the rows a slot so far say it needs, up to MOST_AT_ONCE. */
const FIRST_SLOTS_AT_ONCE = 1;
const MOST_AT_ONCE = 16;
/** Most spans of the level above the slots whose slots are named at once while walking the tree (see `slotsFrom`). */
const SPANS_AT_ONCE = 8;
const SINCE = '#since';
const TICKS_SINCE = '#ticks-since';
/** The list whose tree names an owner's ticks (see BusySlots). */
export const tickList = (list: string) => `${list}~ticks`;

/** The slot a time falls in: slots of `geometry.slotMs` since the epoch (15 seconds unless said). */
export const slotOf = (at: Date, geometry: SlotGeometry = BUSY_LISTS): number => Math.floor(at.getTime() / geometry.slotMs);

/** What one lookup of a page reads: a slot whole (`wholeSlot`), or one tick of a busy slot. */
type Unit<T> = { filter: Filter<T>; wholeSlot?: number };

/** A slot or span as the directory names it (a busy slot says so). */
type Named = Pick<SlotDoc, 'slot' | 'busy'>;

/** The span of `level` (0: the slot itself) that `slot` falls in. */
const spanOf = (slot: number, level: number) => Math.floor(slot / FANOUT ** level);

/** Where the spans of `level` inside `parent` (a span of the level above) are named. */
const namedIn = (list: string, level: number, parent: number, levels: number) => (level === levels - 1 ? `${list}|top` : `${list}|${level}|${parent}`);

/** The directory entries naming `slot` for `list`, one per level (what a seeding script writes along with its rows). */
export const slotEntries = (list: string, slot: number, geometry: SlotGeometry = BUSY_LISTS): SlotDoc[] =>
  Array.from({ length: geometry.levels }, (_, level) => ({
    _id: `${list}|${level}|${spanOf(slot, level)}`,
    list: namedIn(list, level, spanOf(slot, level + 1), geometry.levels),
    slot: spanOf(slot, level),
  }));

/**
 * A row's key in a list per owner (a customer's orders): the owner and the slot, so that a slot's
 * lookup is one index entry, not the owner's every row rechecked. Pass as `rowKey`.
 */
export const ownerSlotKey = (owner: string, slot: number): string => `${owner}|${slot}`;

export class SlotLists<T extends Document> {
  /** Entries this process wrote or found, so each is written once per process. */
  private readonly noted = new Set<string>();
  private useSlots: Promise<boolean> | undefined;
  private since: Promise<{ slot: number; legacy: boolean }> | undefined;

  constructor(
    private readonly rows: Collection<T>,
    private readonly slots: Collection<SlotDoc>,
    private readonly ordering: TimeOrdering<T, unknown>,
    private readonly slotField: keyof T & string,
    private readonly geometry: SlotGeometry = BUSY_LISTS,
    /** What `slotField` holds for a row of `list` in `slot`: the slot, or `ownerSlotKey` for a list per owner. */
    private readonly rowKey: (list: string, slot: number) => unknown = (_list, slot) => slot,
    /** For a list per owner whose slots can get busy (a customer's days): see BusySlots. */
    private readonly busy?: BusySlots<T>,
  ) {}

  /** Rows this process wrote into each slot (`<list>|<slot>`): the slot is marked busy when this reaches `busy.threshold`. */
  private readonly written = new Map<string, number>();
  /** The first tick rows were written with (see BusySlots): a slot that began earlier is read whole. */
  private ticksSince: Promise<number> | undefined;

  /** The slot a row written at `at` falls in, for this collection's lists. */
  slotOf(at: Date): number {
    return slotOf(at, this.geometry);
  }

  /**
   * How to slot a row by its time: its slot, or undefined where it goes without one. Where rows
   * without slots were there when the directory began (`legacy`), a row of a time before then stays
   * without one too (such a row changed, or a copy taking one in): a page reads the rows without
   * slots only after the slotted ones, so a slotted row older than one of them could fill a page
   * ahead of it, and the cursor would then pass it by.
   */
  async slotting(): Promise<(at: Date) => number | undefined> {
    const { slot: began, legacy } = await this.began();
    return (at) => {
      const slot = this.slotOf(at);
      return legacy && slot <= began ? undefined : slot;
    };
  }

  /** What a row of `list` written at `at` carries in `busy.field` (see BusySlots). */
  tickKey(list: string, at: Date): unknown {
    return this.rowKey(list, slotOf(at, OWNER_TICKS));
  }

  /**
   * At start-up, before any row is written: the directory's index, and whether rows without
   * slots are already there (noted by the first start of a version that keeps slots).
   */
  async ensureIndexes(): Promise<void> {
    await ensureIndex(this.slots, { list: 1 }, { name: 'by_list' });
    // Ticks are written from now on: on a collection with rows, only slots that begin later have them all.
    if (this.busy && !(await this.slots.findOne({ _id: TICKS_SINCE }))) {
      await this.noteOnce({ _id: TICKS_SINCE, list: TICKS_SINCE, slot: (await this.hasRows()) ? slotOf(new Date(), OWNER_TICKS) : 0 });
    }
    if (await this.slots.findOne({ _id: SINCE })) return;
    await this.noteOnce({ _id: SINCE, list: SINCE, slot: this.slotOf(new Date()), legacy: await this.hasRows() });
  }

  private async hasRows(): Promise<boolean> {
    return (await this.rows.findOne({}, { projection: { _id: 1 } })) !== null;
  }

  /** Writes `entry` unless an entry with its `_id` is there (two processes starting at once: the first's stays). */
  private async noteOnce(entry: SlotDoc): Promise<void> {
    try {
      await this.slots.insertOne(entry);
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  }

  /** Whether this process knows `slot` is named for `list`. */
  isNoted(list: string, slot: number): boolean {
    return this.noted.has(`${list}|${slot}`);
  }

  /**
   * A compare-and-swap (`write`) whose row must have its slot named in some lists first. Its change
   * asks `unnamed(lists, slot)` about the state it would write, and refuses the write when that says
   * true: the slot is then named in those lists and `write` is made again, from the row as it then
   * is. Its result is that of the write that was not put off.
   */
  async namingSlots<R>(write: (unnamed: (lists: readonly string[], slot: number) => boolean) => Promise<R>): Promise<R> {
    for (;;) {
      let missing: { lists: string[]; slot: number } | undefined;
      const result = await write((lists, slot) => {
        const toName = lists.filter((list) => !this.isNoted(list, slot));
        missing = toName.length > 0 ? { lists: toName, slot } : undefined;
        return missing !== undefined;
      });
      const named = missing as { lists: string[]; slot: number } | undefined;
      if (!named) return result;
      await this.note(named.lists, named.slot);
    }
  }

  /**
   * Names `slot` in each of `lists`; call before writing a row into them. With `busy`, also the
   * tick of `at` (the row's time), and a slot this process has now written `busy.threshold` rows
   * into is marked busy.
   */
  async note(lists: readonly string[], slot: number, at?: Date): Promise<void> {
    const tick = this.busy && at ? slotOf(at, OWNER_TICKS) : undefined;
    const missing = lists.filter((list) => !this.isNoted(list, slot)).flatMap((list) => slotEntries(list, slot, this.geometry));
    if (tick !== undefined) missing.push(...lists.filter((list) => !this.isNoted(tickList(list), tick)).flatMap((list) => slotEntries(tickList(list), tick, OWNER_TICKS)));
    if (missing.length > 0) {
      // Every level's name in one request: a span named without its slot costs a lookup, never a row.
      await insertIgnoringDuplicates(this.slots, missing);
      // Bounded: past this many, entries are written again (a duplicate, refused) rather than remembered.
      if (this.noted.size > 50_000) this.noted.clear();
      for (const list of lists) {
        this.noted.add(`${list}|${slot}`);
        if (tick !== undefined) this.noted.add(`${tickList(list)}|${tick}`);
      }
    }
    if (tick !== undefined) await this.markBusy(lists, slot);
  }

  /** Counts a row written into `slot` of each of `lists`, and marks the slot busy at `busy.threshold` (once per process). */
  private async markBusy(lists: readonly string[], slot: number): Promise<void> {
    if (this.written.size > 50_000) this.written.clear();
    for (const list of lists) {
      const key = `${list}|${slot}`;
      const count = (this.written.get(key) ?? 0) + 1;
      this.written.set(key, count);
      // Should the mark fail, the order is placed all the same: a page that reads the day whole marks it (markBusyRead).
      if (count === this.busy!.threshold) await this.markSlotBusy(list, slot);
    }
  }

  /**
   * Marks `slot` of `list` busy. A flag that is never cleared: no compare-and-swap needed, even where
   * updates are not atomic. A failure leaves it unmarked, for the next writer or page to mark.
   */
  private async markSlotBusy(list: string, slot: number): Promise<void> {
    await this.slots.updateOne({ _id: slotEntries(list, slot, this.geometry)[0]!._id }, { $set: { busy: true } }).catch(() => undefined);
  }

  /** A page of the rows of `list` (those matching `filter`), newest first. */
  async page(list: string, filter: Filter<T>, page: PageRequest): Promise<Connection<T>> {
    return pageOfRows(await this.pageRows(list, filter, page), this.ordering, page);
  }

  /**
   * The rows a page of `list` is made from (`pageOfRows`), for a list that adds rows of its own
   * (a regional copy's queued customers): those after the page's cursor, in no order, one more
   * than the page when there is a next page, perhaps more.
   */
  async pageRows(list: string, filter: Filter<T>, page: PageRequest): Promise<T[]> {
    if (!(await this.slotsServe())) return findPageRows(this.rows, filter, this.ordering, page);
    const wanted = page.first + 1;
    const { after } = page;
    rowsAfter([], this.ordering, after); // a cursor of another kind of list is refused, whatever the list holds
    const afterAt = after?.key instanceof Date ? after.key : undefined;
    const found: T[] = [];
    const slots = this.unitsFrom(list, afterAt);
    let [atOnce, slotsRead, rowsRead] = [FIRST_SLOTS_AT_ONCE, 0, 0];
    for (;;) {
      const batch: Unit<T>[] = [];
      while (batch.length < atOnce) {
        const next = await slots.next();
        if (next.done) break;
        batch.push(next.value);
      }
      if (batch.length === 0) break;
      const read = await Promise.all(batch.map((unit) => this.rows.find({ ...filter, ...unit.filter } as Filter<T>).toArray()));
      await this.markBusyRead(list, batch, read);
      found.push(...rowsAfter(read.flat() as T[], this.ordering, after));
      // Every slot left is older than these: the page is whole.
      if (found.length >= wanted) {
        await slots.return(undefined);
        return found;
      }
      // As many slots next as the rows a slot so far say the page still needs.
      slotsRead += batch.length;
      rowsRead += read.reduce((sum, rows) => sum + rows.length, 0);
      const perSlot = rowsRead / slotsRead;
      atOnce = Math.min(MOST_AT_ONCE, Math.max(FIRST_SLOTS_AT_ONCE, perSlot > 0 ? Math.ceil((wanted - found.length) / perSlot) : MOST_AT_ONCE));
    }
    if (await this.hasLegacyRows()) {
      found.push(...(await findPageRows(this.rows, { ...filter, [this.slotField]: { $exists: false } } as Filter<T>, this.ordering, { first: page.first, after })));
    }
    return found;
  }

  /**
   * What to read of `list` for the rows up to `afterAt` (all without it), newest first, each as a
   * filter on a row key: each slot, or each tick of a busy one (see BusySlots).
   */
  private async *unitsFrom(list: string, afterAt: Date | undefined): AsyncGenerator<Unit<T>> {
    for await (const { slot, busy } of this.slotsFrom(list, afterAt ? this.slotOf(afterAt) : Number.POSITIVE_INFINITY)) {
      if (busy && this.busy && (await this.hasTicks(slot))) yield* this.ticksOf(list, slot, afterAt, this.busy.field);
      else yield { filter: { [this.slotField]: this.rowKey(list, slot) } as Filter<T>, wholeSlot: slot };
    }
  }

  /**
   * A slot read whole that held `busy.threshold` rows or more is marked busy, so the next page reads
   * it by tick. The writers' counts (markBusy) are each process's own and start again with it: a
   * day's orders split between processes, or across a restart, would otherwise never mark it. A
   * failed mark leaves the page as read; a later page marks it.
   */
  private async markBusyRead(list: string, units: readonly Unit<T>[], read: readonly unknown[][]): Promise<void> {
    if (!this.busy) return;
    for (const [i, { wholeSlot }] of units.entries()) {
      if (wholeSlot === undefined || read[i]!.length < this.busy.threshold || !(await this.hasTicks(wholeSlot))) continue;
      await this.markSlotBusy(list, wholeSlot);
    }
  }

  /** The ticks of a busy slot up to `afterAt`, newest first, from its ticks' 18-hour spans: not from the top of the tree. */
  private async *ticksOf(list: string, slot: number, afterAt: Date | undefined, field: string): AsyncGenerator<Unit<T>> {
    const { slotMs } = this.geometry;
    const first = slotOf(new Date(slot * slotMs), OWNER_TICKS);
    const last = Math.min(slotOf(new Date((slot + 1) * slotMs - 1), OWNER_TICKS), afterAt ? slotOf(afterAt, OWNER_TICKS) : Number.POSITIVE_INFINITY);
    for (let span = spanOf(last, 2); span >= spanOf(first, 2); span--) {
      for await (const { slot: tick } of this.slotsFrom(tickList(list), last, OWNER_TICKS, 1, span)) {
        if (tick < first) return;
        yield { filter: { [field]: this.rowKey(list, tick) } as Filter<T> };
      }
    }
  }

  /** Whether the rows of `slot` all carry ticks: it began after the first start of a version that writes them. */
  private async hasTicks(slot: number): Promise<boolean> {
    this.ticksSince ??= this.slots.findOne({ _id: TICKS_SINCE }).then(
      (since) => since?.slot ?? Number.POSITIVE_INFINITY,
      (error: unknown) => {
        this.ticksSince = undefined; // asked again next time
        throw error;
      },
    );
    return slotOf(new Date(slot * this.geometry.slotMs), OWNER_TICKS) >= (await this.ticksSince);
  }

  /**
   * The slots `list` names, up to `through`, newest first: the directory's tree walked a span at a
   * time. The slots of the spans of the level above them are named one span at first, then as many
   * spans at once as should name the most slots a page reads at once (MOST_AT_ONCE), at the slots a
   * span named so far, up to SPANS_AT_ONCE: a quiet list names one or two slots in a span, a busy
   * one up to 256, more than a page reads, each a decode for FerretDB (eight such spans read at once
   * took 30 ms of a 20-row page's 54). From `level` down, inside `parent` (the whole tree unless said).
   */
  private async *slotsFrom(list: string, through: number, geometry = this.geometry, level = geometry.levels - 1, parent = 0): AsyncGenerator<Named> {
    const spans = await this.spansIn(list, through, geometry, level, parent);
    if (level === 0) return yield* spans;
    if (level > 1) {
      for (const span of spans) yield* this.slotsFrom(list, through, geometry, level - 1, span.slot);
      return;
    }
    let [atOnce, spansRead, slotsNamed] = [1, 0, 0];
    for (let i = 0; i < spans.length; ) {
      const batch = spans.slice(i, (i += atOnce));
      const named = await Promise.all(batch.map((span) => this.spansIn(list, through, geometry, 0, span.slot)));
      for (const slots of named) yield* slots;
      spansRead += batch.length;
      slotsNamed += named.reduce((sum, slots) => sum + slots.length, 0);
      atOnce = Math.min(SPANS_AT_ONCE, Math.ceil(MOST_AT_ONCE / Math.max(slotsNamed / spansRead, MOST_AT_ONCE / SPANS_AT_ONCE)));
    }
  }

  /** The spans of `level` named inside `parent` (a span of the level above), up to the one `through` falls in, newest first. */
  private async spansIn(list: string, through: number, geometry: SlotGeometry, level: number, parent: number): Promise<Named[]> {
    const last = through === Number.POSITIVE_INFINITY ? through : spanOf(through, level);
    const entries = await this.slots.find({ list: namedIn(list, level, parent, geometry.levels) }, { projection: { slot: 1, busy: 1 } }).toArray();
    return entries.filter((entry) => entry.slot <= last).sort((a, b) => b.slot - a.slot);
  }

  /** Whether this database is FerretDB pushing equality filters on fields down to PostgreSQL. */
  private slotsServe(): Promise<boolean> {
    // Asked again next time if the database could not say (not reachable just then).
    this.useSlots ??= pushesDownFieldEquality(this.rows, this.slotField).catch((error: unknown) => {
      this.useSlots = undefined;
      throw error;
    });
    return this.useSlots;
  }

  private async hasLegacyRows(): Promise<boolean> {
    return (await this.began()).legacy;
  }

  /** The directory's `#since` entry (see ensureIndexes): its slot, and whether rows without slots were there then. Read once. */
  private began(): Promise<{ slot: number; legacy: boolean }> {
    this.since ??= this.slots.findOne({ _id: SINCE }).then(
      (since) => {
        if (!since) this.since = undefined; // not made yet: asked again next time
        return { slot: since?.slot ?? Number.POSITIVE_INFINITY, legacy: since?.legacy !== false };
      },
      (error: unknown) => {
        this.since = undefined; // asked again next time
        throw error;
      },
    );
    return this.since;
  }
}

/**
 * FerretDB's explain says whether a filter went down to the database (`filterPushdown`): on its
 * PostgreSQL handler an equality on a field does, on its SQLite handler only one on `_id` does.
 * False on MongoDB, whose indexes serve a sorted page directly.
 */
async function pushesDownFieldEquality(collection: Collection<any>, field: string): Promise<boolean> {
  const client = (collection as unknown as { client?: Parameters<typeof isFerretDB>[0] }).client;
  if (!client || !(await isFerretDB(client))) return false;
  const explained = await collection.find({ [field]: 0 }).explain();
  return (explained as { filterPushdown?: boolean }).filterPushdown === true;
}
