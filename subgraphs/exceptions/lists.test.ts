import type { Filter } from 'mongodb';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { pageRequest } from '../../kit/paging.ts';
import { TestDatabases } from '../../test/harness.ts';
import { recordingFindsIn } from '../../test/recording-db.ts';
import { ExceptionStore, type ExceptionDoc, type ExceptionStatusCode, type RaiseInput } from './store.ts';

// The lists of closed exceptions (and of every exception) grow for ever, so on FerretDB's
// PostgreSQL handler they are read a time slot at a time (kit/slot-lists.ts), where a page read
// and sorted in Go every exception its status matched. An exception changes list as it is closed,
// retried or raised again (it then moves up): each list must still hold each of its exceptions once.

const onEmbeddedPostgres = inject('embeddedDb') === 'postgresql';
const databases = new TestDatabases();
afterAll(() => databases.cleanup());

const HOUR = 3_600_000;
const agent = { subject: 'agent-7', note: null };
const input = (n: number, occurrence = `o${n}`): RaiseInput =>
  ({ id: `${n % 3 ? 'payments' : 'inventory'}:q:e${String(n).padStart(3, '0')}`, occurrence, service: n % 3 ? 'payments' : 'inventory', queue: 'q', elementId: `e${n}`, orderId: null, reason: `failure ${n}` }) as RaiseInput;

/** A store whose clock the test sets, and the exceptions collection's `find` filters recorded. */
async function setUp(name: string) {
  const db = await databases.create(name);
  const clock = { at: Date.UTC(2026, 10, 1) };
  const filters: Filter<ExceptionDoc>[] = [];
  const store = new ExceptionStore(recordingFindsIn(db, 'exceptions', filters), () => new Date(clock.at));
  await store.ensureIndexes();
  return { db, store, clock, filters };
}

async function walk(store: ExceptionStore, filter: { status?: ExceptionStatusCode; service?: string }, first = 3): Promise<string[]> {
  const ids: string[] = [];
  let after: string | null = null;
  for (;;) {
    const page = await store.list(filter, pageRequest('exceptions', { first, after }));
    ids.push(...page.edges.map((edge) => edge.node._id));
    if (!page.pageInfo.hasNextPage) return ids;
    after = page.pageInfo.endCursor;
  }
}

describe('lists of exceptions', () => {
  it('hold each exception once, most recently raised first, as exceptions close, are retried and are raised again', async () => {
    const { db, store, clock } = await setUp('exception_lists');
    // Hours and days apart; two in one slot.
    for (let n = 0; n < 18; n++) {
      clock.at = Date.UTC(2026, 10, 1) + (n === 4 ? 3 : n) * 29 * HOUR + (n === 4 ? 2_000 : 0);
      await store.raise(input(n));
    }
    clock.at += 40 * HOUR;
    for (const n of [1, 4, 7, 10, 13]) await store.close(input(n, `close${n}`), 'the customer paid again', 'RESOLVED');
    for (const n of [2, 5]) await store.close(input(n, `close${n}`), 'the order was cancelled');
    for (const [n, action] of [[8, 'RETRY'], [11, 'CANCEL'], [14, 'RETRY']] as const) {
      const claim = await store.claim(input(n).id, action, agent);
      if (claim.outcome !== 'claimed') throw new Error(`not claimed: ${claim.outcome}`);
      await store.settle(input(n).id, claim.pending.token);
    }
    // Closed before its raise came: stored closed, raised now.
    await store.close(input(40), 'the order was cancelled');
    // Raised again after it resolved: OPEN, and the most recent of all.
    clock.at += 1_000;
    await store.raise(input(7, 'again'));

    const all = (await db.collection<ExceptionDoc>('exceptions').find({}).toArray()).sort(
      (a, b) => b.raisedAt.getTime() - a.raisedAt.getTime() || (b._id < a._id ? -1 : 1),
    );
    expect(all).toHaveLength(19);
    expect(all[0]!._id).toBe(input(7).id);
    const expected = (status?: ExceptionStatusCode, service?: string) =>
      all.filter((e) => (!status || e.status === status) && (!service || e.service === service)).map((e) => e._id);
    for (const status of [undefined, 'OPEN', 'RETRIED', 'CANCELLED', 'RESOLVED'] as const) {
      expect(await walk(store, { status }), status ?? 'every status').toEqual(expected(status));
      for (const service of ['payments', 'inventory']) {
        expect(await walk(store, { status, service }), `${status ?? 'every status'} of ${service}`).toEqual(expected(status, service));
      }
    }
    expect(expected('RESOLVED')).toHaveLength(4);
    expect(expected('RETRIED')).toHaveLength(2);
    expect(expected('CANCELLED')).toHaveLength(4);
  });

  it.skipIf(!onEmbeddedPostgres)('reads about a page of a closed status, not every exception ever closed, each read by slot', async () => {
    const { store, clock, filters } = await setUp('exception_lists_cost');
    // A quiet service's one exception, then 240 of others', two a minute for two hours, all resolved.
    const quiet = { ...input(999), id: 'picking:q:e999', service: 'picking' };
    await store.raise(quiet);
    await store.close({ ...quiet, occurrence: 'close999' }, 'stock came in', 'RESOLVED');
    for (let n = 0; n < 240; n++) {
      clock.at = Date.UTC(2026, 10, 1) + n * 30_000;
      await store.raise(input(n));
      await store.close(input(n, `close${n}`), 'stock came in', 'RESOLVED');
    }
    await store.list({ status: 'RESOLVED' }, pageRequest('exceptions', { first: 1 })); // once asks the database what it pushes down
    filters.length = 0;
    const page = await store.list({ status: 'RESOLVED' }, pageRequest('exceptions', { first: 20 }));
    expect(page.edges.map((edge) => edge.node._id)).toEqual(Array.from({ length: 20 }, (_, i) => input(239 - i).id));
    expect(page.pageInfo.hasNextPage).toBe(true);
    expect(filters.length).toBeGreaterThan(0);
    for (const filter of filters) expect(filter).toMatchObject({ status: 'RESOLVED', raisedSlot: expect.any(Number) });
    // One slot first, then as many as the page still needs: about the page's rows, of the 240.
    expect(filters.length).toBeLessThanOrEqual(24);

    // A quiet service's list reads the slots it has exceptions in, not every other service's.
    for (const status of [undefined, 'RESOLVED'] as const) {
      filters.length = 0;
      const ofQuiet = await store.list({ status, service: 'picking' }, pageRequest('exceptions', { first: 20 }));
      expect(ofQuiet.edges.map((edge) => edge.node._id)).toEqual([quiet.id]);
      expect(ofQuiet.pageInfo.hasNextPage).toBe(false);
      expect(filters.length, `reads for ${status ?? 'every status'}`).toBeLessThanOrEqual(2);
    }
  });
});

describe('lists of exceptions kept by an earlier version', () => {
  it('hold the exceptions raised before the upgrade once, in order, as they are closed after it, among the new ones', async () => {
    const { db, clock } = await setUp('exception_lists_upgrade');
    const HOURS = (n: number) => Date.UTC(2026, 10, 1) + n * HOUR;
    // Written as a version before slots did: ten exceptions, the even ones resolved, and no directory.
    const before = new ExceptionStore(db, () => new Date(clock.at));
    for (let n = 0; n < 10; n++) {
      clock.at = HOURS(n);
      await before.raise(input(n));
      if (n % 2 === 0) await before.close(input(n, `close${n}`), 'paid again', 'RESOLVED');
    }
    await db.collection('exceptions').updateMany({}, { $unset: { raisedSlot: '' } });
    await db.collection('exception_list_slots').drop();

    // The new version starts on them; the oldest open ones resolve after it, and new ones come.
    clock.at = HOURS(100);
    const after = new ExceptionStore(db, () => new Date(clock.at));
    await after.ensureIndexes();
    for (const n of [1, 3]) await after.close(input(n, `close${n}`), 'paid again', 'RESOLVED');
    for (let n = 20; n < 24; n++) {
      clock.at = HOURS(100 + n);
      await after.raise(input(n));
      await after.close(input(n, `close${n}`), 'paid again', 'RESOLVED');
    }

    const resolved = (await db.collection<ExceptionDoc>('exceptions').find({ status: 'RESOLVED' }).toArray())
      .sort((a, b) => b.raisedAt.getTime() - a.raisedAt.getTime())
      .map((e) => e._id);
    expect(resolved).toHaveLength(11);
    for (const first of [1, 2, 3, 5]) expect(await walk(after, { status: 'RESOLVED' }, first), `${first} a page`).toEqual(resolved);
    expect(await walk(after, {}, 2)).toHaveLength(14);
  });
});
