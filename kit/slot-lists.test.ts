import type { Collection, Filter } from 'mongodb';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { TestDatabases } from '../test/harness.ts';
import { recordingFinds } from '../test/recording-db.ts';
import { CUSTOMER_LISTS, OWNER_TICKS, ownerSlotKey, SlotLists, slotOf, type SlotDoc } from './slot-lists.ts';
import { pageRequest, encodeCursor, type TimeOrdering } from './paging.ts';

// Newest-first lists read a time slot at a time on FerretDB's PostgreSQL handler (kit/slot-lists.ts),
// against the real database: the pages a frontend walks through, and what a page reads.

const onEmbeddedPostgres = inject('embeddedDb') === 'postgresql';
const databases = new TestDatabases();
afterAll(() => databases.cleanup());

interface Row {
  _id: string;
  at: Date;
  status: string;
  slot?: number;
}

const newestFirst: TimeOrdering<Row, string> = { list: 'rows', timeField: 'at', direction: 'desc', timeOf: (row) => row.at, idOf: (row) => row._id, parseId: (id) => id };
const HOUR = 3_600_000;
const SLOT = 15_000;
const start = Date.UTC(2026, 0, 1);

async function setUp(name: string, rowsWithoutHours: Row[] = []) {
  const db = await databases.create(name);
  const rows = db.collection<Row>('rows');
  if (rowsWithoutHours.length) await rows.insertMany(rowsWithoutHours);
  const filters: Filter<Row>[] = [];
  const lists = new SlotLists(recordingFinds(rows, filters), db.collection<SlotDoc>('row_slots'), newestFirst, 'slot');
  await lists.ensureIndexes();
  const add = async (added: Row[]) => {
    for (const row of added) {
      row.slot = slotOf(row.at);
      await lists.note(['*', ...(row.status === 'DONE' ? ['DONE'] : [])], row.slot);
    }
    for (let i = 0; i < added.length; i += 1_000) await rows.insertMany(added.slice(i, i + 1_000));
  };
  /** Every page of a list, `first` at a time, as a frontend follows endCursor. */
  const walk = async (list: string, filter: Filter<Row>, first: number, between?: (page: number) => Promise<void>) => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let n = 0; n < 1_000; n++) {
      const page = await lists.page(list, filter, pageRequest('rows', { first, after }));
      seen.push(...page.edges.map((edge) => edge.node._id));
      if (!page.pageInfo.hasNextPage) return seen;
      after = page.pageInfo.endCursor;
      await between?.(n);
    }
    throw new Error('the list never ended');
  };
  return { db, rows, lists, filters, add, walk };
}

const sorted = (rows: Row[]) => [...rows].sort((a, b) => b.at.getTime() - a.at.getTime() || (b._id < a._id ? -1 : b._id > a._id ? 1 : 0)).map((row) => row._id);

const DAY = 24 * HOUR;
type OwnedRow = Row & { owner: string; ownerDay?: string; ownerTick?: string };

/** Lists per owner (a customer's orders) over a rows collection whose finds are recorded: by day, or with busy days read by tick (BusySlots, marked at 10 rows). */
async function ownerLists(name: string) {
  const db = await databases.create(name);
  const rows = db.collection<OwnedRow>('rows');
  const filters: Filter<Row>[] = [];
  const slots = db.collection<SlotDoc>('owner_days');
  const make = (busy: boolean) =>
    new SlotLists(recordingFinds(rows as unknown as Collection<Row>, filters), slots, newestFirst, 'ownerDay' as 'slot', CUSTOMER_LISTS, ownerSlotKey, busy ? { field: 'ownerTick' as 'slot', threshold: 10 } : undefined);
  await rows.createIndex({ ownerDay: 1 });
  await rows.createIndex({ ownerTick: 1 });
  /** Writes rows as the orders service does: their day (and, with ticks, their tick) named first. */
  const add = async (lists: SlotLists<Row>, added: OwnedRow[], withTicks: boolean) => {
    for (const row of added) {
      await lists.note([row.owner], lists.slotOf(row.at), withTicks ? row.at : undefined);
      row.ownerDay = ownerSlotKey(row.owner, lists.slotOf(row.at));
      if (withTicks) row.ownerTick = lists.tickKey(row.owner, row.at) as string;
    }
    await rows.insertMany(added);
  };
  const walk = async (lists: SlotLists<Row>, owner: string, first: number) => {
    const seen: string[] = [];
    for (let after: string | null = null; ; ) {
      const page = await lists.page(owner, { owner } as Filter<Row>, pageRequest('rows', { first, after }));
      seen.push(...page.edges.map((edge) => edge.node._id));
      if (!page.pageInfo.hasNextPage) return seen;
      after = page.pageInfo.endCursor;
    }
  };
  /** Rows the recorded filters matched: what PostgreSQL handed FerretDB for the page. */
  const matched = async () => {
    let count = 0;
    for (const filter of filters) count += await rows.countDocuments(filter as never);
    return count;
  };
  return { rows, filters, make, add, walk, matched };
}

describe.skipIf(!onEmbeddedPostgres)('lists read a time slot at a time on the embedded PostgreSQL', () => {
  it('pages through every row once, newest first, across slots, spans of every level and equal times', async () => {
    const { add, walk } = await setUp('slots_walk');
    // 150 rows over about 40 days (several spans at each level of the tree but the top), some times shared.
    const rows: Row[] = Array.from({ length: 150 }, (_, i) => ({
      _id: `r${String(i).padStart(4, '0')}`,
      at: new Date(start + Math.floor(i / 3) * 19 * HOUR + (i % 3 === 2 ? 0 : (i % 3) * 60_000)),
      status: i % 4 === 0 ? 'OPEN' : 'DONE',
    }));
    await add(rows);
    for (const first of [2, 7, 50]) {
      expect(await walk('*', {}, first)).toEqual(sorted(rows));
      expect(await walk('DONE', { status: 'DONE' }, first)).toEqual(sorted(rows.filter((row) => row.status === 'DONE')));
    }
  });

  it('rows added between pages repeat nothing and skip nothing that was there', async () => {
    const { add, walk } = await setUp('slots_meanwhile');
    const rows: Row[] = Array.from({ length: 60 }, (_, i) => ({ _id: `a${String(i).padStart(3, '0')}`, at: new Date(start + i * 5 * HOUR), status: 'DONE' }));
    await add(rows);
    const added: Row[] = [];
    const seen = await walk('DONE', { status: 'DONE' }, 8, async (page) => {
      // A newer row (before the cursor: not shown) and an older one (after it: shown in its turn).
      const more = [
        { _id: `n${page}`, at: new Date(start + 400 * HOUR + page * HOUR), status: 'DONE' },
        { _id: `o${page}`, at: new Date(start - (page + 1) * 7 * HOUR), status: 'DONE' },
      ];
      added.push(...more);
      await add(more);
    });
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((id) => id.startsWith('a'))).toEqual(sorted(rows));
    expect(seen.filter((id) => id.startsWith('n'))).toEqual([]);
    expect(seen.filter((id) => id.startsWith('o'))).toEqual(sorted(added.filter((row) => row._id.startsWith('o'))));
  });

  it('reads about a page of rows, not the whole list, each read an index lookup by slot', async () => {
    const { rows, add, lists, filters } = await setUp('slots_cost');
    // 2,000 rows, four a slot, in 500 slots; as busy as 16 orders a second.
    const at = (i: number) => new Date(start + Math.floor(i / 4) * SLOT + (i % 4) * 1_000);
    await add(Array.from({ length: 2_000 }, (_, i) => ({ _id: `c${String(i).padStart(5, '0')}`, at: at(i), status: 'DONE' })));
    await lists.page('DONE', { status: 'DONE' }, pageRequest('rows', { first: 1 })); // once asks the database what it pushes down
    for (const after of [null, encodeCursor('rows', { key: at(1_001), id: 'c01001' })]) {
      filters.length = 0;
      const page = await lists.page('DONE', { status: 'DONE' }, pageRequest('rows', { first: 20, after }));
      expect(page.edges).toHaveLength(20);
      expect(page.pageInfo.hasNextPage).toBe(true);
      let matched = 0;
      for (const filter of filters) {
        expect(filter).toMatchObject({ status: 'DONE', slot: expect.any(Number) });
        const explained = (await rows.find(filter).explain()) as { filterPushdown?: boolean };
        expect(explained.filterPushdown, JSON.stringify(filter)).toBe(true);
        matched += await rows.countDocuments(filter);
      }
      // What PostgreSQL returned to FerretDB: the rows of the slots read (one, then as many as the
      // page still needs): a page and the rest of the last slot read, of the 2,000 a page used to read.
      expect(matched).toBeLessThanOrEqual(24);
    }
  });

  it('reads rows written before the list had slots after the slotted ones, the old way', async () => {
    const old: Row[] = Array.from({ length: 12 }, (_, i) => ({ _id: `old${String(i).padStart(2, '0')}`, at: new Date(start - (i + 1) * HOUR), status: 'DONE' }));
    const { add, walk } = await setUp('slots_legacy', old);
    const fresh: Row[] = Array.from({ length: 12 }, (_, i) => ({ _id: `new${String(i).padStart(2, '0')}`, at: new Date(start + i * 3 * HOUR), status: 'DONE' }));
    await add(fresh);
    expect(await walk('DONE', { status: 'DONE' }, 5)).toEqual(sorted([...fresh, ...old]));
  });

  it('gives a row of a time before the directory began no slot where rows without slots were there then, so that it lists in order among them', async () => {
    const now = Date.now();
    const old: Row[] = Array.from({ length: 12 }, (_, i) => ({ _id: `old${String(i).padStart(2, '0')}`, at: new Date(now - (i + 1) * HOUR), status: 'DONE' }));
    const { lists, rows, walk } = await setUp('slots_legacy_late', old);
    const slotFor = await lists.slotting();
    // Written now with times older than every old row (old rows changed, or taken in by a copy), and new rows.
    const late: Row[] = Array.from({ length: 3 }, (_, i) => ({ _id: `late${i}`, at: new Date(now - (20 + i) * HOUR), status: 'DONE' }));
    const fresh: Row[] = Array.from({ length: 4 }, (_, i) => ({ _id: `new${i}`, at: new Date(now + (i + 1) * 20_000), status: 'DONE' }));
    for (const row of [...late, ...fresh]) {
      const slot = slotFor(row.at);
      if (slot === undefined) continue;
      row.slot = slot;
      await lists.note(['DONE'], slot);
    }
    await rows.insertMany([...late, ...fresh]);
    expect(late.map((row) => row.slot)).toEqual([undefined, undefined, undefined]);
    expect(fresh.every((row) => row.slot !== undefined)).toBe(true);
    for (const first of [1, 2, 5]) expect(await walk('DONE', { status: 'DONE' }, first), `${first} a page`).toEqual(sorted([...old, ...late, ...fresh]));
  });

  it("reads a page of one owner's list (a customer's orders) by owner and day, not the owner's every row", async () => {
    const { rows, filters, make, add, walk, matched } = await ownerLists('slots_owners');
    const byOwner = make(false);
    await byOwner.ensureIndexes();
    // A regular with 1,200 rows (twelve a day for 100 days, over more than one 256-day span) and an occasional one with 5.
    const heavy = Array.from({ length: 1_200 }, (_, i) => ({ _id: `h${String(i).padStart(5, '0')}`, owner: 'heavy', at: new Date(start - 200 * DAY + Math.floor(i / 12) * 3 * DAY + (i % 12) * HOUR), status: 'DONE' }));
    const light = Array.from({ length: 5 }, (_, i) => ({ _id: `l${i}`, owner: 'light', at: new Date(start - i * 90 * DAY), status: 'DONE' }));
    await add(byOwner, [...heavy, ...light], false);
    expect(await walk(byOwner, 'light', 2)).toEqual(sorted(light as Row[]));
    expect(await walk(byOwner, 'heavy', 50)).toEqual(sorted(heavy as Row[]));
    filters.length = 0;
    const page = await byOwner.page('heavy', { owner: 'heavy' } as Filter<Row>, pageRequest('rows', { first: 20 }));
    expect(page.edges.map((edge) => edge.node._id)).toEqual(sorted(heavy as Row[]).slice(0, 20));
    for (const filter of filters) {
      expect(filter).toMatchObject({ owner: 'heavy', ownerDay: expect.stringMatching(/^heavy\|\d+$/) });
      expect(((await rows.find(filter as never).explain()) as { filterPushdown?: boolean }).filterPushdown).toBe(true);
    }
    // Two days of twelve read, of the 1,200 rows the owner's list used to read for every page.
    expect(await matched()).toBeLessThanOrEqual(24);
  });
  describe("an owner's busy day (hundreds of orders), read a second at a time", () => {
    it('pages through a busy day and the quiet days around it once each, newest first, reading about a page of rows', async () => {
      const { rows, filters, make, add, walk, matched } = await ownerLists('slots_busy_day');
      const lists = make(true);
      await lists.ensureIndexes();
      // The busy day is one a boundary of the ticks' 18-hour spans falls in: 400 rows, four a
      // second (as a script placing orders would), from 50 seconds before the boundary.
      const spanMs = OWNER_TICKS.slotMs * 256 ** 2;
      const boundary = (Math.floor((Date.now() + DAY) / spanMs) + 1) * spanMs;
      const busy: OwnedRow[] = Array.from({ length: 400 }, (_, i) => ({ _id: `b${String(i).padStart(4, '0')}`, owner: 'acme', at: new Date(boundary - 50_000 + i * 250), status: 'DONE' }));
      // Quiet days before and after it (a few rows each), and another owner the same day.
      const quiet: OwnedRow[] = Array.from({ length: 12 }, (_, i) => ({ _id: `q${String(i).padStart(2, '0')}`, owner: 'acme', at: new Date(boundary + (i < 6 ? -1 : 1) * (2 + (i % 6)) * DAY), status: 'DONE' }));
      const other: OwnedRow[] = Array.from({ length: 30 }, (_, i) => ({ _id: `o${String(i).padStart(2, '0')}`, owner: 'other', at: new Date(boundary - 300_000 + i * 7_000), status: 'DONE' }));
      await add(lists, [...busy, ...quiet, ...other], true);
      const acme = sorted([...busy, ...quiet] as Row[]);
      for (const first of [3, 7, 50]) expect(await walk(lists, 'acme', first)).toEqual(acme);
      expect(await walk(lists, 'other', 4)).toEqual(sorted(other as Row[]));

      // A frontend's first page of three, and a page from a cursor in the middle of the busy day.
      const newestBusy = sorted(busy as Row[]);
      const middle = busy.find((row) => row._id === newestBusy[200])!;
      for (const [after, expected] of [
        [null, acme.slice(0, 3)],
        [encodeCursor('rows', { key: middle.at, id: middle._id }), newestBusy.slice(201, 204)],
      ] as const) {
        filters.length = 0;
        const page = await lists.page('acme', { owner: 'acme' } as Filter<Row>, pageRequest('rows', { first: 3, after }));
        expect(page.edges.map((edge) => edge.node._id)).toEqual(expected);
        // A tick of four rows first, then as many as the page still needs: not the busy day's 400 rows.
        for (const filter of filters.filter((filter) => 'ownerTick' in filter)) {
          expect(((await rows.find(filter as never).explain()) as { filterPushdown?: boolean }).filterPushdown).toBe(true);
        }
        expect(await matched()).toBeLessThanOrEqual(after ? 10 : 15);
      }
    });

    it('marks a busy day whose orders were written by several processes (or across restarts) when a page reads it whole', async () => {
      const { filters, make, add, matched } = await ownerLists('slots_busy_split');
      await make(true).ensureIndexes();
      // Three processes one after another (a restart between each), 8 rows each: none reaches the 10 that mark a day.
      const day = Math.floor(Date.now() / DAY) * DAY + DAY;
      const rows: OwnedRow[] = Array.from({ length: 24 }, (_, i) => ({ _id: `s${String(i).padStart(2, '0')}`, owner: 'acme', at: new Date(day + HOUR + i * 250), status: 'DONE' }));
      for (let i = 0; i < 24; i += 8) await add(make(true), rows.slice(i, i + 8), true);
      const reader = make(true);
      const firstThree = async () => {
        filters.length = 0;
        const page = await reader.page('acme', { owner: 'acme' } as Filter<Row>, pageRequest('rows', { first: 3 }));
        expect(page.edges.map((edge) => edge.node._id)).toEqual(sorted(rows as Row[]).slice(0, 3));
        return matched();
      };
      expect(await firstThree()).toBe(24); // read whole, and marked
      expect(await firstThree()).toBeLessThanOrEqual(8); // a second at a time
    });

    it('reads a busy day that began before ticks were written whole, so its earlier rows are listed', async () => {
      const { make, add, walk } = await ownerLists('slots_busy_upgrade');
      // An earlier version wrote rows of today with days only, then this one started and wrote more.
      const before = make(false);
      await before.ensureIndexes();
      const today = Math.floor(Date.now() / DAY) * DAY;
      const earlier: OwnedRow[] = Array.from({ length: 8 }, (_, i) => ({ _id: `e${i}`, owner: 'acme', at: new Date(today + i * 60_000), status: 'DONE' }));
      await add(before, earlier, false);
      const after = make(true);
      await after.ensureIndexes();
      const later: OwnedRow[] = Array.from({ length: 40 }, (_, i) => ({ _id: `l${String(i).padStart(2, '0')}`, owner: 'acme', at: new Date(Math.max(Date.now(), today + HOUR) + i * 2_000), status: 'DONE' }));
      // Tomorrow, wholly after ticks began: read by tick.
      const tomorrow: OwnedRow[] = Array.from({ length: 40 }, (_, i) => ({ _id: `t${String(i).padStart(2, '0')}`, owner: 'acme', at: new Date(today + DAY + HOUR + i * 2_000), status: 'DONE' }));
      await add(after, [...later, ...tomorrow], true);
      for (const first of [3, 20]) expect(await walk(after, 'acme', first)).toEqual(sorted([...earlier, ...later, ...tomorrow] as Row[]));
    });
  });
});
