import { afterAll, describe, expect, inject, it } from 'vitest';
import { TestDatabases } from '../../test/harness.ts';
import { eventId, hourOf, TrackingStore, type TransitionDoc } from './store.ts';

// stageWaits reads the transitions of a window through `since`, live and in the warehouse, which
// keeps every fulfilled order's history. It looks them up an hour at a time: on the embedded
// PostgreSQL a range on `at` read and decoded every transition ever stored (3.8 s at 100,000).

const onEmbeddedPostgres = inject('embeddedDb') === 'postgresql';
const databases = new TestDatabases();
afterAll(() => databases.cleanup());

const HOUR = 3_600_000;
const now = new Date(Date.UTC(2026, 11, 6, 12, 30));

const transition = (id: string, at: Date): TransitionDoc => ({
  _id: `ORDER:${id}:PLACED>CHARGING`,
  elementType: 'ORDER',
  elementId: id,
  orderId: id,
  from: 'PLACED',
  to: 'CHARGING',
  node: 'orders',
  at,
  detail: null,
});

async function trackingStore(name: string) {
  const db = await databases.create(name);
  const warehouse = await databases.create(`${name}_wh`);
  const store = new TrackingStore(db, warehouse.databaseName);
  await store.ensureIndexes();
  return { store, db };
}

/** A log entry as an earlier version appended it: without its hour. */
const entryWithoutHour = (seq: number, doc: TransitionDoc) => {
  const { _id, ...fields } = doc;
  return { ...fields, _id: eventId(seq), seq, transitionId: _id, recordedAt: new Date() };
};

describe('transitions of a window (TrackingStore.since)', () => {
  it('finds those made in the window, live and in the warehouse, and none before or after it', async () => {
    const { store } = await trackingStore('since_window');
    expect(await store.fillHours(now)).toBe(0); // a new database: nothing to give an hour, and lookups by the hour from now on
    const at = (msAgo: number) => new Date(now.getTime() - msAgo);
    await store.recordAllOnce([transition('live-in', at(10 * 60_000)), transition('live-edge', at(HOUR)), transition('live-out', at(HOUR + 1))]);
    await store.recordAllOnce([transition('moved-in', at(59 * 60_000)), transition('moved-out', at(3 * HOUR)), transition('ahead', at(-20 * HOUR))]);
    // Archived as the archiver does: the two "moved" ones copied to the warehouse, then removed.
    await store.moveToWarehouse(await store.transitions.find({ elementId: { $in: ['moved-in', 'moved-out'] } }).toArray());
    expect(await store.warehouse.countDocuments()).toBe(2);

    const found = await store.since(at(HOUR), new Date(now.getTime() + 24 * HOUR));
    expect(found.map((t) => t.elementId).sort()).toEqual(['ahead', 'live-edge', 'live-in', 'moved-in']);
    expect((await store.since(at(HOUR), now)).map((t) => t.elementId).sort()).toEqual(['live-edge', 'live-in', 'moved-in']);
  });

  it('hands a window over an hour at a time, oldest first, with only the fields asked for', async () => {
    const { store } = await trackingStore('since_by_hour');
    await store.fillHours(now);
    const at = (msAgo: number) => new Date(now.getTime() - msAgo);
    // Stored out of order, in three hours; one of them archived.
    await store.recordAllOnce([transition('c', at(5 * 60_000)), transition('a', at(2 * HOUR + 60_000)), transition('b2', at(HOUR + 60_000)), transition('b1', at(HOUR + 120_000))]);
    await store.moveToWarehouse(await store.transitions.find({ elementId: 'b1' }).toArray());

    const hours: Record<string, unknown>[][] = [];
    for await (const hour of store.sinceByHour(at(3 * HOUR), now, ['elementId'])) hours.push(hour);
    expect(hours.map((hour) => hour.map((t) => t.elementId))).toEqual([[], ['a'], ['b1', 'b2'], ['c']]);
    expect(Object.keys(hours[2]![0]!).sort()).toEqual(['_id', 'at', 'elementId']);
  });

  it('finds transitions an earlier version stored without their hour, by time until fillHours gave the recent ones theirs, then by the hour', async () => {
    const { store } = await trackingStore('since_fill');
    const recent = transition('recent', new Date(now.getTime() - 30 * 60_000));
    const archived = transition('archived', new Date(now.getTime() - 2 * HOUR));
    const old = transition('old', new Date(now.getTime() - 9 * 24 * HOUR));
    // As an earlier version stored them: no atHour.
    await store.transitions.insertMany([recent, old]);
    await store.warehouse.insertOne(archived);
    const window = () => store.since(new Date(now.getTime() - 3 * HOUR), now).then((found) => found.map((t) => t.elementId).sort());
    // Before the fill (a first start, under way): read by time, whole.
    expect(await window()).toEqual(['archived', 'recent']);

    expect(await store.fillHours(now)).toBe(2);
    expect(await window()).toEqual(['archived', 'recent']);
    expect((await store.warehouse.findOne({ _id: archived._id }))?.atHour).toBe(hourOf(archived.at));
    // Beyond any window (stageWaits reaches 7 days back): left as it was.
    expect((await store.transitions.findOne({ _id: old._id }))?.atHour).toBeUndefined();
    // Done once: a later start does not read the history again.
    expect(await store.fillHours(now)).toBe(0);
  });

  it('fills again at a start after an earlier version recorded meanwhile (a rollback, then this version again)', async () => {
    const { store, db } = await trackingStore('since_rollback');
    await store.recordAllOnce([transition('before', new Date(now.getTime() - 20 * 60_000))]);
    await db.collection('events_0').insertOne(entryWithoutHour(1, transition('before', now)) as never);
    await store.advanceHead(1);
    expect(await store.fillHours(now)).toBe(0); // the first start of this version: nothing without its hour

    // An earlier version runs again for a while: its transitions and log entries have no hour.
    const rolledBack = transition('rolled-back', new Date(now.getTime() - 10 * 60_000));
    await store.transitions.insertOne(rolledBack);
    await db.collection('events_0').insertOne(entryWithoutHour(2, rolledBack) as never);
    await store.advanceHead(2);

    const restarted = new TrackingStore(db, store.warehouse.dbName);
    expect(await restarted.fillHours(now)).toBe(1);
    expect((await restarted.since(new Date(now.getTime() - HOUR), now)).map((t) => t.elementId).sort()).toEqual(['before', 'rolled-back']);
    // And not again, until the log moves on without hours.
    expect(await new TrackingStore(db, store.warehouse.dbName).fillHours(now)).toBe(0);
  });

  it.skipIf(!onEmbeddedPostgres)('looks each hour up through an index on the embedded PostgreSQL, so a window costs what it holds as the history grows', async () => {
    const { store } = await trackingStore('since_plan');
    const history = Array.from({ length: 3_000 }, (_, i) => transition(`o${i}`, new Date(now.getTime() - 30 * 24 * HOUR + i * 60_000)));
    for (let i = 0; i < history.length; i += 1000) await store.recordAllOnce(history.slice(i, i + 1000));
    await store.moveToWarehouse(history.slice(0, 2_000));

    const filter = { atHour: hourOf(now), at: { $gte: new Date(now.getTime() - HOUR) } };
    for (const collection of [store.transitions, store.warehouse]) {
      const db = collection.db;
      const explained = await db.command({ explain: { find: collection.collectionName, filter } });
      const plan = JSON.stringify(explained.queryPlanner);
      expect(plan, `${db.databaseName}: ${plan}`).not.toContain('Seq Scan');
      expect(plan).toMatch(/_gin_/);
    }
  });
});
