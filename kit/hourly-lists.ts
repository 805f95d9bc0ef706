import type { Collection, Document, Filter } from 'mongodb';
import { insertIgnoringDuplicates, isDuplicateKeyError, isFerretDB } from './mongo.ts';
import { findPage, findPageRows, pageOfRows, rowsAfter, type Connection, type PageRequest, type TimeOrdering } from './paging.ts';

/**
 * Newest-first lists of a large collection that stay fast on FerretDB's PostgreSQL handler.
 *
 * On MongoDB a list page (`find(filter).sort({ placedAt: -1, _id: -1 }).limit(21)`) walks an index
 * and reads 21 rows. FerretDB 1.24 pushes only equality filters down to PostgreSQL, and no sort
 * or limit with them: it reads every row the filter matches, decodes each in Go, sorts them and
 * keeps 21. The support staff's list of SHIPPED orders, through the gateway, took 3.3 s at 10,000
 * orders and 9.2 s at 30,000: past the gateway's 15 s limit at about 50,000.
 *
 * So on that backend each row carries the hour it belongs to (`hourField`, hours since the epoch,
 * from its time field), and a small directory collection names the hours each list has rows in,
 * and the blocks of 256 hours those fall in. A page reads the names of the list's blocks, then
 * those of the hours in the newest blocks, and the rows of those hours, newest first: four hours
 * at once, then as many as the page still needs at the rows an hour seen so far (each hour one
 * equality query, `{ ...filter, placedHour: h }`, served by an index), until the page is full:
 * about a page's rows and a few small reads, however large the collection.
 *
 * A row's hour is named in the directory before the row is written into the list (inserted, or
 * changed so that it matches the list's filter), so a listed row's hour is always there. A name
 * left behind (the write then failed) costs one empty lookup. On MongoDB, and on FerretDB's
 * SQLite handler (which pushes down no filter but `_id`, so an hour lookup would read the whole
 * collection each time), pages are read as before.
 *
 * Rows written before a collection had hours (`legacy`, noted when the directory was first made)
 * have none; a page that runs past the hourly rows reads them the old way (`{ hourField: absent }`).
 */
export interface HourDoc {
  _id: string;
  /** `<list>|blocks` for a block's entry, `<list>|<block>` for an hour's. */
  list: string;
  /** The block's or the hour's number. */
  hour: number;
  /** On the `#since` entry only: rows were already there, without hours. */
  legacy?: boolean;
}

const HOUR_MS = 3_600_000;
/** Hours are named in blocks of this many (about 10 days): a page reads a block's names, not a year's. */
const BLOCK_HOURS = 256;
/** Hours read at once at first while filling a page; then as many as the rows an hour so far say it needs, up to MOST_AT_ONCE. */
const FIRST_HOURS_AT_ONCE = 4;
/** The most reads one page sends at once (hours, or blocks' names). */
const MOST_AT_ONCE = 16;
const SINCE = '#since';

/** The hour a time falls in: hours since the epoch. */
export const hourOf = (at: Date): number => Math.floor(at.getTime() / HOUR_MS);

const blockOf = (hour: number) => Math.floor(hour / BLOCK_HOURS);

/** The directory entries naming `hour` for `list`: its block's and its own (what a seeding script writes along with its rows). */
export const hourEntries = (list: string, hour: number): HourDoc[] => [
  { _id: `${list}|b${blockOf(hour)}`, list: `${list}|blocks`, hour: blockOf(hour) },
  { _id: `${list}|${hour}`, list: `${list}|${blockOf(hour)}`, hour },
];

export class HourlyLists<T extends Document> {
  /** Entries this process wrote or found, so each is written once per process. */
  private readonly noted = new Set<string>();
  private useHours: Promise<boolean> | undefined;
  private legacy: Promise<boolean> | undefined;

  constructor(
    private readonly rows: Collection<T>,
    private readonly hours: Collection<HourDoc>,
    private readonly ordering: TimeOrdering<T, unknown>,
    private readonly hourField: keyof T & string,
  ) {}

  /**
   * At start-up, before any row is written: the directory's index, and whether rows without
   * hours are already there (noted by the first start of a version that keeps hours).
   */
  async ensureIndexes(): Promise<void> {
    await this.hours.createIndex({ list: 1 }, { name: 'by_list' });
    if (await this.hours.findOne({ _id: SINCE })) return;
    const legacy = (await this.rows.findOne({}, { projection: { _id: 1 } })) !== null;
    try {
      await this.hours.insertOne({ _id: SINCE, list: SINCE, hour: hourOf(new Date()), legacy });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  }

  /** Whether this process knows `hour` is named for `list`. */
  isNoted(list: string, hour: number): boolean {
    return this.noted.has(`${list}|${hour}`);
  }

  /** Names `hour` in each of `lists`; call before writing a row into them. */
  async note(lists: readonly string[], hour: number): Promise<void> {
    const missing = lists.filter((list) => !this.isNoted(list, hour)).flatMap((list) => hourEntries(list, hour));
    if (missing.length === 0) return;
    // The block's entry goes with the hour's, in one request: a block named without its hour costs a lookup, never a row.
    await insertIgnoringDuplicates(this.hours, missing);
    // Bounded: past this many, entries are written again (a duplicate, refused) rather than remembered.
    if (this.noted.size > 50_000) this.noted.clear();
    for (const list of lists) this.noted.add(`${list}|${hour}`);
  }

  /** A page of the rows of `list` (those matching `filter`), newest first. */
  async page(list: string, filter: Filter<T>, page: PageRequest): Promise<Connection<T>> {
    if (!(await this.hoursServe())) return findPage(this.rows, filter, this.ordering, page);
    const wanted = page.first + 1;
    const { after } = page;
    rowsAfter([], this.ordering, after); // a cursor of another kind of list is refused, whatever the list holds
    const from = after?.key instanceof Date ? hourOf(after.key) : Number.POSITIVE_INFINITY;
    const found: T[] = [];
    const blocks = await this.named(`${list}|blocks`, from === Number.POSITIVE_INFINITY ? from : blockOf(from));
    const hours: number[] = [];
    let [hoursAtOnce, blocksAtOnce, nextBlock, hoursRead] = [FIRST_HOURS_AT_ONCE, 1, 0, 0];
    for (;;) {
      // Names enough hours for the next read, from the newest blocks not read yet.
      while (hours.length < hoursAtOnce && nextBlock < blocks.length) {
        const taken = blocks.slice(nextBlock, nextBlock + blocksAtOnce);
        nextBlock += taken.length;
        blocksAtOnce = Math.min(blocksAtOnce * 2, MOST_AT_ONCE);
        for (const named of await Promise.all(taken.map((block) => this.named(`${list}|${block}`, from)))) hours.push(...named);
      }
      if (hours.length === 0) break;
      const batch = hours.splice(0, hoursAtOnce);
      const read = await Promise.all(batch.map((hour) => this.rows.find({ ...filter, [this.hourField]: hour } as Filter<T>).toArray()));
      found.push(...rowsAfter(read.flat() as T[], this.ordering, after));
      // Every hour left is older than these: the page is whole.
      if (found.length >= wanted) return pageOfRows(found, this.ordering, page);
      // As many hours next as the rows an hour so far say the page still needs.
      hoursRead += batch.length;
      const perHour = found.length / hoursRead;
      hoursAtOnce = Math.min(MOST_AT_ONCE, Math.max(FIRST_HOURS_AT_ONCE, perHour > 0 ? Math.ceil((wanted - found.length) / perHour) : MOST_AT_ONCE));
    }
    if (await this.hasLegacyRows()) {
      found.push(...(await findPageRows(this.rows, { ...filter, [this.hourField]: { $exists: false } } as Filter<T>, this.ordering, { first: page.first, after })));
    }
    return pageOfRows(found, this.ordering, page);
  }

  /** The numbers a directory list names, up to `through`, newest first. */
  private async named(list: string, through: number): Promise<number[]> {
    const entries = await this.hours.find({ list }, { projection: { hour: 1 } }).toArray();
    return entries.map((entry) => entry.hour).filter((hour) => hour <= through).sort((a, b) => b - a);
  }
  /** Whether this database is FerretDB pushing equality filters on fields down to PostgreSQL. */
  private hoursServe(): Promise<boolean> {
    // Asked again next time if the database could not say (not reachable just then).
    this.useHours ??= pushesDownFieldEquality(this.rows, this.hourField).catch((error: unknown) => {
      this.useHours = undefined;
      throw error;
    });
    return this.useHours;
  }

  private hasLegacyRows(): Promise<boolean> {
    this.legacy ??= this.hours.findOne({ _id: SINCE }).then((since) => since?.legacy !== false);
    return this.legacy;
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
