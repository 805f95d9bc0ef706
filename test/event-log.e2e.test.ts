import { randomBytes } from 'node:crypto';
import type { Db } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { onMongoCommand } from '../kit/mongo-command-hooks.ts';
import { EventLog, type EventLogOptions } from '../subgraphs/tracking/event-log.ts';
import { TrackingStore, type EventDoc, type TransitionDoc } from '../subgraphs/tracking/store.ts';
import { silentLogger, TestDatabases } from './harness.ts';

const dbs = new TestDatabases();
afterAll(() => dbs.cleanup());

const transition = (n: number): TransitionDoc => ({
  _id: `ORDER:o${n}:NEW>PLACED`,
  elementType: 'ORDER',
  elementId: `o${n}`,
  orderId: `o${n}`,
  from: null,
  to: 'PLACED',
  node: 'orders',
  at: new Date(),
  detail: null,
});

/** A fresh event log database and `count` tracking processes on it, started, for `use`; stopped after. */
async function withLogs(count: number, options: Partial<EventLogOptions>, use: (logs: EventLog[], store: TrackingStore, db: Db) => Promise<void>): Promise<void> {
  const db = await dbs.create('eventlog');
  const store = new TrackingStore(db);
  await store.ensureIndexes();
  const settings: EventLogOptions = { pollIntervalMs: 20, capacity: 100, takeOverAfterMs: 100, logger: silentLogger, ...options };
  const logs = Array.from({ length: count }, (_, i) => new EventLog(i === 0 ? store : new TrackingStore(db), settings));
  for (const log of logs) await log.start();
  try {
    await use(logs, store, db);
  } finally {
    for (const log of logs) await log.stop();
  }
}

/** Database requests of this process while `counted` is set (the log's own polls included). */
let requests = 0;
/** Their names (`insert`, `find`, ...), in order. */
const commands: string[] = [];
let counted = false;
onMongoCommand(({ name }) => {
  if (counted) {
    requests++;
    commands.push(name);
  }
  return undefined;
});

async function take(iterator: AsyncIterator<EventDoc>, count: number): Promise<EventDoc[]> {
  const taken: EventDoc[] = [];
  while (taken.length < count) taken.push((await iterator.next()).value as EventDoc);
  return taken;
}

const restartOptions: EventLogOptions = { pollIntervalMs: 20, capacity: 100, takeOverAfterMs: 100, logger: silentLogger };

/** A database as a tracking process that died between appending three entries and marking them leaves it: entries and transitions, no marks. */
async function diedBetweenEntriesAndMarks() {
  const db = await dbs.create('eventlog');
  const store = new TrackingStore(db);
  await store.ensureIndexes();
  const first = new EventLog(store, restartOptions);
  await first.start();
  const batch = [transition(1), transition(2), transition(3)];
  expect(await first.record(batch)).toBe(3);
  await first.stop();
  await db.collection('appended').deleteMany({});
  return { db, store, batch };
}

describe("tracking's event log", () => {
  it('stays gapless and in one order when two tracking processes record at once, duplicates included', async () => {
    const db = await dbs.create('eventlog');
    const store = new TrackingStore(db);
    await store.ensureIndexes();
    // A duplicate waits for the first recording rather than appending its own event; each
    // process appends one at a time, so on a busy machine the first may take seconds to get
    // there. The take-over after a recording that stopped half-way has a test of its own.
    const options = { pollIntervalMs: 20, capacity: 1_000, takeOverAfterMs: 20_000, logger: silentLogger };
    const logs = [new EventLog(store, options), new EventLog(new TrackingStore(db), options)];
    for (const log of logs) await log.start();
    try {
      const followers = logs.map((log) => log.follow(0, () => true));
      const all = Array.from({ length: 60 }, (_, n) => transition(n));
      // Each process gets every other transition, and a third of them are delivered to both.
      await Promise.all([
        ...all.filter((_, n) => n % 2 === 0 || n % 3 === 0).map((t) => logs[0]!.record([t])),
        ...all.filter((_, n) => n % 2 === 1 || n % 3 === 0).map((t) => logs[1]!.record([t])),
      ]);
      const events = await store.eventsBetween(1, 70);
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 60 }, (_, n) => n + 1));
      expect(new Set(events.map((e) => e.transitionId)).size).toBe(60);

      const seen = await Promise.all(followers.map((follower) => take(follower, 60)));
      expect(seen[0]!.map((e) => e.seq)).toEqual(events.map((e) => e.seq));
      expect(seen[1]!.map((e) => e.transitionId)).toEqual(events.map((e) => e.transitionId));
      for (const follower of followers) await follower.return!();
      // Every stored transition is marked as having its event.
      for (const t of all) expect(await store.appendedSeq(t._id)).not.toBeNull();
    } finally {
      for (const log of logs) await log.stop();
    }
  });

  it("looks for other processes' entries at the idle pace while only its own are appended, and quickly once another's are", async () => {
    await withLogs(2, { pollIntervalMs: 20 }, async ([busy, other], store) => {
      if (!busy || !other) throw new Error('two logs expected');
      // The busy process's lookups of the log's head (each is a database request), counted.
      let headLookups = 0;
      const headSeq = store.headSeq.bind(store);
      store.headSeq = () => (headLookups++, headSeq());
      const follower = busy.follow(null, () => true);
      // 2 s of its own appends, one every 20 ms. Before, each one woke its loop, and a pass that
      // read nothing still counted as busy while its own appends moved the log: a lookup per
      // append and per pass: 107 here.
      const until = Date.now() + 2_000;
      for (let n = 0; Date.now() < until; n++) {
        await busy.record([transition(n)]);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(headLookups).toBeLessThan(50);
      // Another process's entry is still read, within a backed-off interval (160 ms here) and
      // whatever a busy machine adds to it.
      await take(follower, 1);
      const recordedAt = Date.now();
      await other.record([{ ...transition(0), _id: 'ORDER:o-other:NEW>PLACED', elementId: 'o-other', orderId: 'o-other' }]);
      for (;;) if ((await follower.next()).value.orderId === 'o-other') break;
      expect(Date.now() - recordedAt).toBeLessThan(1_500);
      await follower.return!();
    });
  });

  it('keeps to the idle pace under back-to-back appends of its own, some of which its loop reads before their append is done', async () => {
    await withLogs(1, { pollIntervalMs: 20 }, async ([log], store) => {
      let headLookups = 0;
      const headSeq = store.headSeq.bind(store);
      store.headSeq = () => (headLookups++, headSeq());
      // Appends always under way, each taking 30 ms to hear back from its insert (a busy process),
      // so the loop's look past the head (once a second) finds entries still being appended here.
      // Taken for another process's, each kept the polls at 20 ms for 10 s: a lookup every pass,
      // about 100 here, and 20 a second per tracking process under load.
      const appendEvents = store.appendEvents.bind(store);
      store.appendEvents = async (events) => {
        const inserted = await appendEvents(events);
        await new Promise((resolve) => setTimeout(resolve, 30));
        return inserted;
      };
      const until = Date.now() + 3_000;
      const appending = Array.from({ length: 4 }, async (_, lane) => {
        for (let n = lane; Date.now() < until; n += 4) await log!.record([transition(n)]);
      });
      await Promise.all(appending);
      expect(headLookups).toBeLessThan(50);
    });
  });

  it('writes the head behind a busy log, far less often than it appends; a restart after a crash still appends after the last entry', async () => {
    const db = await dbs.create('eventlog');
    const store = new TrackingStore(db);
    await store.ensureIndexes();
    let headWrites = 0;
    const advanceHead = store.advanceHead.bind(store);
    store.advanceHead = (seq) => (headWrites++, advanceHead(seq));
    const crashed = new EventLog(store, restartOptions);
    await crashed.start();
    // 60 appends one after the other: a head write each before.
    for (let n = 0; n < 60; n++) await crashed.record([transition(n)]);
    expect(headWrites).toBeLessThan(20);
    // Killed, not stopped: its last head write may be behind the last entry.
    const restarted = new EventLog(new TrackingStore(db), restartOptions);
    await restarted.start();
    try {
      expect(await restarted.record([transition(60)])).toBe(1);
      const entries = await store.eventsBetween(1, 100);
      expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 61 }, (_, i) => i + 1));
      expect(entries.at(-1)!.transitionId).toBe(transition(60)._id);
    } finally {
      await restarted.stop();
      await crashed.stop();
    }
    // Stopped cleanly, the head is where the log ends.
    expect(await store.headSeq()).toBe(61);
  });

  it("gives a subscriber the next move of an order recorded by another tracking process within a poll, while both record", async () => {
    await withLogs(2, { pollIntervalMs: 50 }, async ([here, there]) => {
      if (!here || !there) throw new Error('two logs expected');
      const follower = here.follow(null, () => true, 'o-moves');
      const move = (n: number): TransitionDoc => ({ ...transition(0), _id: `ORDER:o-moves:${n}`, elementId: 'o-moves', orderId: 'o-moves', to: `MOVE_${n}` });
      // One order's moves alternate between the two processes, as deliveries land behind a load
      // balancer: here records a move, there the next one a moment later.
      const delays: number[] = [];
      for (let round = 0; round < 10; round++) {
        await here.record([move(2 * round)]);
        await take(follower, 1);
        await new Promise((resolve) => setTimeout(resolve, 5));
        await there.record([move(2 * round + 1)]);
        const recordedAt = Date.now();
        expect((await take(follower, 1))[0]!.to).toBe(`MOVE_${2 * round + 1}`);
        delays.push(Date.now() - recordedAt);
        // Long enough for polls that back off to reach their slowest (400 ms), at varying phases.
        await new Promise((resolve) => setTimeout(resolve, 500 + Math.random() * 500));
      }
      // The first is read within a backed-off interval (up to 400 ms); after that, within a 50 ms
      // poll. Had its own moves let the polls back off, the median was 200 ms.
      const median = delays.slice(2).sort((a, b) => a - b)[4]!;
      expect(median).toBeLessThan(120);
      await follower.return!();
    });
  });

  it('resumes a follower from any cursor, including entries older than what is kept in memory', async () => {
    const db = await dbs.create('eventlog');
    const store = new TrackingStore(db);
    await store.ensureIndexes();
    const log = new EventLog(store, { pollIntervalMs: 20, capacity: 5, takeOverAfterMs: 2_000, logger: silentLogger });
    await log.start();
    try {
      for (let n = 0; n < 20; n++) await log.record([transition(n)]);
      const follower = log.follow(7, () => true);
      const rest = await take(follower, 13);
      expect(rest.map((e) => e.seq)).toEqual(Array.from({ length: 13 }, (_, n) => n + 8));
      await follower.return!();
    } finally {
      await log.stop();
    }
  });

  it('records a delivery of several transitions in the order given, and a redelivery with new ones appends only the new', () =>
    withLogs(1, {}, async ([log], store) => {
      const first = [transition(3), transition(1), transition(2)];
      expect(await log!.record(first)).toBe(3);
      // Redelivered with two more, one of them twice in the same delivery.
      expect(await log!.record([transition(4), ...first, transition(5), transition(4)])).toBe(2);
      const events = await store.eventsBetween(1, 10);
      expect(events.map((e) => e.transitionId)).toEqual([3, 1, 2, 4, 5].map((n) => transition(n)._id));
      expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(await store.appendedSeq(transition(5)._id)).toBe(5);
    }));

  it('passes over a transition it appended and marked, delivered again, without a database request', () =>
    withLogs(1, { pollIntervalMs: 60_000 }, async ([log], store) => {
      // As the orders service sends an order's last move: with the moves before it, told already.
      expect(await log!.record([transition(1), transition(2)])).toBe(2);
      requests = 0;
      counted = true;
      expect(await log!.record([transition(1), transition(2)])).toBe(0);
      counted = false;
      expect(requests).toBe(0);
      expect(await log!.record([transition(1), transition(3)])).toBe(1);
      const events = await store.eventsBetween(1, 10);
      expect(events.map((e) => e.transitionId)).toEqual([1, 2, 3].map((n) => transition(n)._id));
    }));

  it("appends a delivery's new transitions together: one request for their entries and one for their marks", () =>
    withLogs(1, { pollIntervalMs: 60_000 }, async ([log], store) => {
      commands.length = 0;
      counted = true;
      expect(await log!.record([transition(1), transition(2), transition(3)])).toBe(3);
      counted = false;
      // The transitions, their entries, their marks (the head is written behind, an update). Started
      // at once, the first entry went alone, and the rest in requests of their own after its.
      expect(commands.filter((name) => name === 'insert')).toHaveLength(3);
      expect((await store.eventsBetween(1, 10)).map((e) => e.transitionId)).toEqual([1, 2, 3].map((n) => transition(n)._id));
    }));

  it("records overlapping deliveries arriving together once each and in order, as an order's moves each carry those before", () =>
    withLogs(1, {}, async ([log], store) => {
      const all = [1, 2, 3, 4, 5].map(transition);
      const added = await Promise.all([log!.record(all.slice(0, 3)), log!.record(all.slice(0, 4)), log!.record(all)]);
      expect(added.reduce((sum, n) => sum + n, 0)).toBe(5);
      const events = await store.eventsBetween(1, 10);
      expect(events.map((e) => e.transitionId)).toEqual(all.map((t) => t._id));
    }));

  // The first to store them is slow to append (the machine is busy): the others, in the same process,
  // wait for it rather than taking over after takeOverAfterMs and appending the same transitions again.
  it('records overlapping deliveries once each when the one that stored them is slow to go on', () =>
    withLogs(1, { takeOverAfterMs: 100 }, async ([log], store) => {
      const recordAllOnce = store.recordAllOnce.bind(store);
      let calls = 0;
      store.recordAllOnce = async (docs) => {
        const first = calls++ === 0;
        const stored = await recordAllOnce(docs);
        if (first) await new Promise((resolve) => setTimeout(resolve, 500));
        return stored;
      };
      const all = [1, 2, 3, 4, 5].map(transition);
      const first = log!.record(all.slice(0, 3));
      await new Promise((resolve) => setTimeout(resolve, 100)); // it has stored 1-3 by now
      const added = await Promise.all([first, log!.record(all.slice(0, 4)), log!.record(all)]);
      expect(added).toEqual([3, 1, 1]);
      const events = await store.eventsBetween(1, 10);
      expect(events.map((e) => e.transitionId)).toEqual(all.map((t) => t._id));
    }));

  it('fails the deliveries waiting for one that gave up, and records all once when they are delivered again', () =>
    withLogs(1, { takeOverAfterMs: 100 }, async ([log], store) => {
      const appendEvents = store.appendEvents.bind(store);
      let failNext = true;
      store.appendEvents = async (entries) => {
        if (!failNext) return appendEvents(entries);
        failNext = false;
        await new Promise((resolve) => setTimeout(resolve, 300));
        throw new Error('the database went away');
      };
      const all = [1, 2, 3, 4].map(transition);
      const outcomes = await Promise.allSettled([log!.record(all.slice(0, 3)), log!.record(all)]);
      expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
      expect(await log!.record(all)).toBe(4);
      expect((await store.eventsBetween(1, 10)).map((e) => e.transitionId)).toEqual(all.map((t) => t._id));
    }));

  // Each waits for the other's transitions far longer than the test may take: a delivery that
  // held back its own while waiting would stall both until the take-over and append twice.
  it('records the same batch delivered to two tracking processes at once with one event each, whoever stores which', () =>
    withLogs(2, { takeOverAfterMs: 60_000, capacity: 1_000 }, async (logs, store) => {
      const batch = Array.from({ length: 200 }, (_, n) => transition(1000 + n));
      const added = await Promise.all(logs.map((log) => log.record(batch)));
      expect(added[0]! + added[1]!).toBe(200);
      const events = await store.eventsBetween(1, 400);
      // One event each, and in the order of the batch, as both deliveries gave it.
      expect(events.map((e) => e.transitionId)).toEqual(batch.map((t) => t._id));
    }));

  it('gives the transitions of a batch that failed part-way their events, those it stored, in the order given', () =>
    withLogs(1, { takeOverAfterMs: 200 }, async ([log], store) => {
      // The first transition was stored by a delivery still under way (no event yet).
      await store.transitions.insertOne({ ...transition(1), recordedAt: new Date() });
      // An id too long for the embedded PostgreSQL's index (the subgraph refuses such input; MongoDB takes it).
      const tooLong = { ...transition(2), _id: `ORDER:${randomBytes(4_500).toString('hex')}` }; // random: PostgreSQL would compress a repeated one
      await log!.record([transition(1), transition(2), tooLong, transition(3)]).catch(() => {});
      await log!.record([transition(1)]); // the first delivery, delivered again
      const stored = (await store.transitions.find({}, { projection: { _id: 1 } }).toArray()).map((t) => t._id);
      expect(stored).toContain(transition(2)._id);
      const events = (await store.eventsBetween(1, 10)).map((e) => e.transitionId);
      expect(new Set(events)).toEqual(new Set(stored));
      expect(events.slice(0, 2)).toEqual([transition(1)._id, transition(2)._id]);
    }));

  it('appends the event of a transition whose first recording stopped half-way, once', async () => {
    const db = await dbs.create('eventlog');
    const store = new TrackingStore(db);
    await store.ensureIndexes();
    const log = new EventLog(store, { pollIntervalMs: 20, capacity: 100, takeOverAfterMs: 100, logger: silentLogger });
    await log.start();
    try {
      // What a tracking process that died between storing a transition and appending its event leaves.
      await store.transitions.insertOne({ ...transition(1), recordedAt: new Date() });
      expect(await log.record([transition(1)])).toBe(1);
      expect(await log.record([transition(1)])).toBe(0);
      const events = await store.eventsBetween(1, 5);
      expect(events.map((e) => [e.seq, e.transitionId])).toEqual([[1, transition(1)._id]]);
      expect(await store.appendedSeq(transition(1)._id)).toBe(1);
    } finally {
      await log.stop();
    }
  });

  it('appends no second event after a restart for transitions whose process died between their events and their marks', async () => {
    // Found by an attack: tracking killed mid-storm left entries without marks; the redeliveries
    // after the restart appended them again, and a follower replaying the log got them twice.
    const { db, store, batch } = await diedBetweenEntriesAndMarks();
    const restarted = new EventLog(new TrackingStore(db), restartOptions);
    await restarted.start();
    try {
      expect(await restarted.record(batch)).toBe(0);
      expect(await restarted.record([transition(4)])).toBe(1);
      const entries = await store.eventsBetween(1, 20);
      expect(entries.map((e) => e.transitionId)).toEqual([...batch, transition(4)].map((t) => t._id));
      const follower = restarted.follow(0, () => true);
      expect((await take(follower, 4)).map((e) => e.seq)).toEqual([1, 2, 3, 4]);
      await follower.return!();
      // The marks are written again, so the next redelivery finds them by id.
      expect(await Promise.all(batch.map((t) => store.appendedSeq(t._id)))).toEqual([1, 2, 3]);
    } finally {
      await restarted.stop();
    }
  });

  it('appends no second event for such transitions redelivered after more entries than memory keeps, and a second restart', async () => {
    // Found by an attack: two restarts and 2,200 entries between the crash and the redelivery.
    const { db, store, batch } = await diedBetweenEntriesAndMarks();
    const between = new EventLog(new TrackingStore(db), restartOptions);
    await between.start();
    const others = Array.from({ length: 700 }, (_, n) => transition(100 + n)); // two segments and more, well past memory
    for (let i = 0; i < others.length; i += 50) expect(await between.record(others.slice(i, i + 50))).toBe(50);
    await between.stop();

    const restarted = new EventLog(new TrackingStore(db), restartOptions);
    await restarted.start();
    try {
      expect(await restarted.record(batch)).toBe(0);
      expect(await restarted.record([transition(9)])).toBe(1);
      const entries = await store.eventsBetween(1, 1_000);
      expect(entries).toHaveLength(704);
      expect(new Set(entries.map((e) => e.transitionId)).size).toBe(704);
      expect(await Promise.all(batch.map((t) => store.appendedSeq(t._id)))).toEqual([1, 2, 3]);
    } finally {
      await restarted.stop();
    }
  });

  it('appends a transition whose first delivery stored it and died long ago at once, and one event however many redeliveries crowd in', async () => {
    // Found by `npm run chaos`: each redelivery of such a transition waited the whole take-over
    // time again, longer than its sender waits, so under a storm of faults histories stalled.
    const db = await dbs.create('eventlog');
    const store = new TrackingStore(db);
    await store.ensureIndexes();
    const log = new EventLog(store, { pollIntervalMs: 20, capacity: 1_000, takeOverAfterMs: 20_000, logger: silentLogger });
    await log.start();
    try {
      const orphan = transition(1);
      await store.recordOnce(orphan);
      await db.collection('transitions').updateOne({ _id: orphan._id as never }, { $set: { recordedAt: new Date(Date.now() - 60_000) } });
      const started = Date.now();
      expect(await log.record([orphan])).toBe(1);
      expect(Date.now() - started).toBeLessThan(5_000);

      const fresh = transition(2);
      await Promise.all(Array.from({ length: 6 }, () => log.record([fresh])));
      expect((await store.eventsBetween(1, 10)).map((e) => e.transitionId)).toEqual([orphan._id, fresh._id]);
      expect(await store.appendedSeq(fresh._id)).toBe(2);
    } finally {
      await log.stop();
    }
  });

  it('asks the database about a transition recorded before it restarted once, not at every later delivery of it', async () => {
    const db = await dbs.create('eventlog');
    const store = new TrackingStore(db);
    await store.ensureIndexes();
    const batch = Array.from({ length: 10 }, (_, n) => transition(n));
    const before = new EventLog(store, restartOptions);
    await before.start();
    expect(await before.record(batch)).toBe(10);
    await before.stop();

    // Its loop's first look for others' entries (then none for a minute) ends with one for the entry after the head.
    const restartedStore = new TrackingStore(db);
    const eventAt = restartedStore.eventAt.bind(restartedStore);
    let firstPassDone!: () => void;
    const firstPass = new Promise<void>((resolve) => (firstPassDone = resolve));
    restartedStore.eventAt = (seq) => eventAt(seq).finally(firstPassDone);
    const restarted = new EventLog(restartedStore, { ...restartOptions, pollIntervalMs: 60_000 });
    await restarted.start();
    await firstPass;
    try {
      const requestsFor = async (delivery: () => Promise<number>) => {
        requests = 0;
        counted = true;
        try {
          expect(await delivery()).toBe(0);
        } finally {
          counted = false;
        }
        return requests;
      };
      // The first delivery after the restart finds their entries among those it read at its start,
      // and writes their marks, should any be missing, in one request (25 requests before)...
      expect(await requestsFor(() => restarted.record(batch))).toBe(1);
      // ...and those after it, each of the order's later moves carrying them, ask nothing. Before,
      // every one stored each again (refused), read it back and looked up its mark: 31 requests here.
      expect(await requestsFor(() => restarted.record(batch))).toBe(0);
      expect(await requestsFor(() => restarted.record(batch.slice(0, 5)))).toBe(0);
      expect((await store.eventsBetween(1, 20)).map((e) => e.transitionId)).toEqual(batch.map((t) => t._id));
    } finally {
      await restarted.stop();
    }
  });

  it('tells a subscriber resuming from a dropped segment that its cursor expired', async () => {
    const db = await dbs.create('eventlog');
    const store = new TrackingStore(db);
    await store.ensureIndexes();
    const writer = new EventLog(store, { pollIntervalMs: 20, capacity: 1_000, takeOverAfterMs: 100, logger: silentLogger });
    await writer.start();
    await writer.record(Array.from({ length: 503 }, (_, n) => transition(n)));
    await writer.stop();
    expect(await store.dropEventsBefore(501)).toBe(1); // entries 1-500 go, 501-503 stay

    const restarted = new EventLog(store, { pollIntervalMs: 20, capacity: 1_000, takeOverAfterMs: 100, logger: silentLogger });
    await restarted.start();
    try {
      expect(restarted.head).toBe(503);
      await expect(restarted.follow(10, () => true).next()).rejects.toMatchObject({ extensions: { code: 'CURSOR_EXPIRED' } });
      const recent = restarted.follow(500, () => true);
      expect((await take(recent, 3)).map((e) => e.seq)).toEqual([501, 502, 503]);
      await recent.return!();
    } finally {
      await restarted.stop();
    }
  });

  it('expires a cursor by what the log keeps, not by what a process happens to remember', async () => {
    const db = await dbs.create('eventlog');
    const store = new TrackingStore(db);
    await store.ensureIndexes();
    const running = new EventLog(store, { pollIntervalMs: 20, capacity: 1_000, takeOverAfterMs: 100, logger: silentLogger });
    await running.start();
    try {
      await running.record(Array.from({ length: 503 }, (_, n) => transition(n)));
      expect(await store.dropEventsBefore(501)).toBe(1); // entries 1-500 go; this process still holds them in memory
      await expect(running.follow(0, () => true).next()).rejects.toMatchObject({ extensions: { code: 'CURSOR_EXPIRED' } });
      await expect(running.follow(10, () => true, 'o10').next()).rejects.toMatchObject({ extensions: { code: 'CURSOR_EXPIRED' } });
      await expect(running.checkCursor(0)).rejects.toMatchObject({ extensions: { code: 'CURSOR_EXPIRED' } });
      const recent = running.follow(500, () => true);
      expect((await take(recent, 3)).map((e) => e.seq)).toEqual([501, 502, 503]);
      await recent.return!();
    } finally {
      await running.stop();
    }
  });

  it('refuses a cursor newer than the newest event instead of silently skipping everything up to it', async () => {
    const db = await dbs.create('eventlog');
    const store = new TrackingStore(db);
    await store.ensureIndexes();
    const log = new EventLog(store, { pollIntervalMs: 20, capacity: 100, takeOverAfterMs: 100, logger: silentLogger });
    await log.start();
    try {
      await log.record([transition(1), transition(2)]);
      await expect(log.checkCursor(99_999_999_999)).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'after' } });
      await expect(log.checkCursor(3)).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
      expect(await log.checkCursor(2)).toBe(2);
      expect(await log.checkCursor(0)).toBe(0);
    } finally {
      await log.stop();
    }
  });

  it('serves a follower of one order its entries only, from memory or from far back', async () => {
    const db = await dbs.create('eventlog');
    const store = new TrackingStore(db);
    await store.ensureIndexes();
    const log = new EventLog(store, { pollIntervalMs: 20, capacity: 5, takeOverAfterMs: 100, logger: silentLogger });
    await log.start();
    try {
      for (let n = 0; n < 12; n++) await log.record([transition(n)]);
      const o3 = log.follow(0, (e) => e.orderId === 'o3', 'o3'); // seq 4 is no longer in memory
      const quiet = log.follow(null, (e) => e.orderId === 'o99', 'o99');
      expect((await take(o3, 1)).map((e) => e.seq)).toEqual([4]);
      await log.record([{ ...transition(3), _id: 'ORDER:o3:PLACED>CHARGING', from: 'PLACED', to: 'CHARGING' }]);
      expect((await take(o3, 1)).map((e) => [e.seq, e.to])).toEqual([[13, 'CHARGING']]);
      await o3.return!();
      await quiet.return!(); // returns at once though nothing ever came for it
    } finally {
      await log.stop();
    }
  });

  it("resumes a follower of one order from far back with that order's entries, without reading everyone else's", () =>
    withLogs(1, { capacity: 5 }, async ([log], store, db) => {
      if (!log) throw new Error('a log expected');
      // 1,200 entries over three segments: o7's three moves at the start, in the middle and near the end.
      const moves = ['PLACED', 'CHARGING', 'CHARGED'];
      const ofO7 = (i: number): TransitionDoc => ({ ...transition(7), _id: `ORDER:o7:${i}`, from: i === 0 ? null : moves[i - 1]!, to: moves[i]! });
      for (let batch = 0; batch < 12; batch++) {
        const others = Array.from({ length: 99 }, (_, n) => transition(1_000 + batch * 100 + n));
        await log.record(batch % 5 === 0 ? [ofO7(batch / 5), ...others] : [...others, transition(5_000 + batch)]);
      }
      const expected = [1, 501, 1001];
      const resume = async () => {
        const follower = log.follow(0, (e) => e.orderId === 'o7', 'o7');
        requests = 0;
        counted = true;
        const events = await take(follower, 3);
        counted = false;
        await follower.return!();
        return { seqs: events.map((e) => e.seq), tos: events.map((e) => e.to), requests };
      };

      // Found by the order: its transitions, their marks and its entries, not 1,200 lookups.
      const fromMarks = await resume();
      expect(fromMarks.seqs).toEqual(expected);
      expect(fromMarks.tos).toEqual(moves);
      expect(fromMarks.requests).toBeLessThan(20);

      // Marks written before they named their order are found by their transitions' ids.
      const marks = db.collection<{ _id: string; orderId?: string }>('appended');
      expect(await marks.countDocuments({ orderId: 'o7' })).toBe(3);
      await marks.updateMany({ orderId: 'o7' }, { $unset: { orderId: '' } });
      const olderMarks = await resume();
      expect(olderMarks.seqs).toEqual(expected);
      expect(olderMarks.requests).toBeLessThan(20);

      // Moved to the warehouse, whose copies keep their entries' numbers; the marks go.
      await store.moveToWarehouse(await store.recent('o7'));
      expect(await store.recent('o7')).toEqual([]);
      expect(await marks.countDocuments({ _id: { $in: ['ORDER:o7:0', 'ORDER:o7:1', 'ORDER:o7:2'] } })).toBe(0);
      const archived = await resume();
      expect(archived.seqs).toEqual(expected);
      expect(archived.requests).toBeLessThan(20);

      // A transition whose number is not known (archived before copies kept it): the log is
      // searched for the order, a segment a request.
      await store.warehouse.updateOne({ _id: 'ORDER:o7:1' }, { $unset: { eventSeq: '' } });
      const searched = await resume();
      expect(searched.seqs).toEqual(expected);
      expect(searched.tos).toEqual(moves);
      expect(searched.requests).toBeLessThan(20);
      // What the search found is recorded: the next follower need not search.
      expect((await store.warehouse.findOne({ _id: 'ORDER:o7:1' }))?.eventSeq).toBe(501);
      // Also what comes before the follower's cursor: a later resume from there need not search either.
      await store.warehouse.updateOne({ _id: 'ORDER:o7:0' }, { $unset: { eventSeq: '' } });
      const fromTheMiddle = log.follow(600, (e) => e.orderId === 'o7', 'o7');
      expect((await take(fromTheMiddle, 1)).map((e) => e.seq)).toEqual([1001]);
      await fromTheMiddle.return!();
      expect((await store.warehouse.findOne({ _id: 'ORDER:o7:0' }))?.eventSeq).toBe(1);

      // A move recorded after the follower's cursor and held in memory, its mark lost: not searched
      // for (its entry is after what the database is asked for), and given from memory.
      await log.record([{ ...transition(7), _id: 'ORDER:o7:3', from: 'CHARGED', to: 'RESERVING' }]);
      await marks.deleteOne({ _id: 'ORDER:o7:3' });
      const searches: string[] = [];
      const eventsBetween = store.eventsBetween.bind(store);
      store.eventsBetween = (...args) => (searches.push('searched'), eventsBetween(...args));
      const follower = log.follow(0, (e) => e.orderId === 'o7', 'o7');
      expect((await take(follower, 4)).map((e) => e.to)).toEqual([...moves, 'RESERVING']);
      await follower.return!();
      expect(searches).toEqual([]);
    }));

  it('resumes a follower of every order from far back a segment of the log a request', () =>
    withLogs(1, { capacity: 5 }, async ([log]) => {
      if (!log) throw new Error('a log expected');
      for (let batch = 0; batch < 6; batch++) await log.record(Array.from({ length: 100 }, (_, n) => transition(batch * 100 + n)));
      const follower = log.follow(0, () => true);
      requests = 0;
      counted = true;
      const events = await take(follower, 600);
      counted = false;
      await follower.return!();
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 600 }, (_, n) => n + 1));
      expect(requests).toBeLessThan(30);
    }));
});

/** A shipment's move, as the node that made it records it. */
const move = (shipment: string, from: string | null, to: string, node: string): TransitionDoc => ({
  _id: `SHIPMENT:${shipment}:${from ?? 'NEW'}>${to}`,
  elementType: 'SHIPMENT',
  elementId: shipment,
  orderId: `order-of-${shipment}`,
  from,
  to,
  node,
  at: new Date(),
  detail: null,
});

/** Whether `recording` is still under way after `ms`. */
const stillWaitingAfter = (recording: Promise<unknown>, ms: number) =>
  Promise.race([recording.then(() => false), new Promise<boolean>((resolve) => setTimeout(() => resolve(true), ms))]);

describe("tracking's event log, when one node's records arrive after the next node's", () => {
  // Orders hands a shipment to picking and tells tracking NEW → PICKING through its own outbox;
  // picking tells tracking PICKING → SHIPPING through its. Under load the second can arrive first.
  const picked = move('s1', 'PICKING', 'SHIPPING', 'picking');
  const handedOver = move('s1', null, 'PICKING', 'orders');

  it("gives subscribers a shipment's moves in the order they were made, holding the later one until the earlier arrives", () =>
    withLogs(1, { holdMs: 20_000 }, async ([log], store) => {
      const follower = log!.follow(0, () => true);
      const recordingPicked = log!.record([picked]);
      expect(await stillWaitingAfter(recordingPicked, 300)).toBe(true);
      expect(await log!.record([handedOver])).toBe(1);
      expect(await recordingPicked).toBe(1);
      expect((await take(follower, 2)).map((e) => e.transitionId)).toEqual([handedOver._id, picked._id]);
      await follower.return!();
      expect((await store.eventsBetween(1, 10)).map((e) => e.transitionId)).toEqual([handedOver._id, picked._id]);
    }));

  it('without the hold appends them as they arrive (what subscribers got before)', () =>
    withLogs(1, {}, async ([log], store) => {
      expect(await log!.record([picked])).toBe(1);
      expect(await log!.record([handedOver])).toBe(1);
      expect((await store.eventsBetween(1, 10)).map((e) => e.transitionId)).toEqual([picked._id, handedOver._id]);
    }));

  it('appends a held move all the same once the hold runs out, and the earlier move after it when it comes', () =>
    withLogs(1, { holdMs: 300 }, async ([log], store) => {
      expect(await log!.record([picked])).toBe(1);
      expect(await log!.record([handedOver])).toBe(1);
      expect((await store.eventsBetween(1, 10)).map((e) => e.transitionId)).toEqual([picked._id, handedOver._id]);
    }));

  it('holds a redelivery of a held move with it, and appends it once', () =>
    withLogs(1, { holdMs: 20_000 }, async ([log], store) => {
      const first = log!.record([picked]);
      const again = log!.record([picked]);
      expect(await stillWaitingAfter(Promise.race([first, again]), 300)).toBe(true);
      await log!.record([handedOver]);
      expect((await first) + (await again)).toBe(1);
      expect((await store.eventsBetween(1, 10)).map((e) => e.transitionId)).toEqual([handedOver._id, picked._id]);
    }));

  it('keeps the moves of one delivery in their order behind a held one', () =>
    withLogs(1, { holdMs: 20_000 }, async ([log], store) => {
      const shipped = move('s1', 'SHIPPING', 'SHIPPED', 'shipping');
      const later = log!.record([picked, shipped]);
      expect(await stillWaitingAfter(later, 300)).toBe(true);
      await log!.record([handedOver]);
      expect(await later).toBe(2);
      expect((await store.eventsBetween(1, 10)).map((e) => e.transitionId)).toEqual([handedOver._id, picked._id, shipped._id]);
    }));

  it('holds a move a killed tracking process stored without its entry as one stored now, until the earlier move is redelivered', () =>
    withLogs(1, { holdMs: 20_000 }, async ([log], store) => {
      // Found by an attack: tracking killed between storing picking's move and appending it. After
      // the restart shipping's delivery (picking's move, then its own) came before the redelivery
      // of orders' move, and the log had PICKING → SHIPPING and SHIPPING → SHIPPED before NEW → PICKING.
      const shipped = move('s1', 'SHIPPING', 'SHIPPED', 'shipping');
      await store.transitions.insertOne({ ...picked, recordedAt: new Date() });
      const later = log!.record([picked, shipped]);
      expect(await stillWaitingAfter(later, 300)).toBe(true);
      // Picking's redelivery: orders' move it carries, then its own, stored before and held here.
      expect(await log!.record([handedOver, picked])).toBe(1);
      expect(await later).toBe(2);
      expect((await store.eventsBetween(1, 10)).map((e) => e.transitionId)).toEqual([handedOver._id, picked._id, shipped._id]);
    }));

  it("goes by the sender's order, without waiting, when the earlier move comes later in the same delivery", () =>
    withLogs(1, { holdMs: 60_000 }, async ([log], store) => {
      expect(await stillWaitingAfter(log!.record([picked, handedOver]), 5_000)).toBe(false);
      expect((await store.eventsBetween(1, 10)).map((e) => e.transitionId)).toEqual([picked._id, handedOver._id]);
    }));

  it('holds a large delivery once: past its time to hold, the rest go as given, without a lookup each', () =>
    withLogs(1, { holdMs: 300, capacity: 1_000 }, async ([log], store) => {
      const orphans = Array.from({ length: 100 }, (_, n) => move(`s${100 + n}`, 'REBIN', 'SHIPPING', 'rebin'));
      commands.length = 0;
      counted = true;
      expect(await log!.record(orphans)).toBe(100);
      counted = false;
      // The first waits (and looks its previous move up); the other 99 are appended together after it.
      expect(commands.filter((name) => name === 'find' || name === 'aggregate').length).toBeLessThan(10);
      expect((await store.eventsBetween(1, 200)).map((e) => e.transitionId)).toEqual(orphans.map((t) => t._id));
    }));

  it('does not hold a move whose earlier move is older than memory, nor one from a state no node records', () =>
    withLogs(1, { holdMs: 60_000, capacity: 5 }, async ([log], store) => {
      expect(await log!.record([handedOver])).toBe(1);
      for (let n = 0; n < 10; n++) await log!.record([transition(n)]);
      expect(await stillWaitingAfter(log!.record([picked]), 5_000)).toBe(false);
      const charged: TransitionDoc = { _id: 'CHARGE:c1:QUEUED>APPROVED', elementType: 'CHARGE', elementId: 'c1', orderId: 'o1', from: 'QUEUED', to: 'APPROVED', node: 'payments', at: new Date(), detail: null };
      expect(await stillWaitingAfter(log!.record([charged]), 5_000)).toBe(false);
      expect((await store.eventsBetween(1, 20)).map((e) => e.transitionId).slice(-2)).toEqual([picked._id, charged._id]);
    }));

  it("does not hold a move whose earlier move another tracking process appended", () =>
    withLogs(2, { holdMs: 60_000, capacity: 1_000 }, async ([one, other], store) => {
      const recordingPicked = one!.record([picked]);
      expect(await stillWaitingAfter(recordingPicked, 300)).toBe(true);
      await other!.record([handedOver]);
      expect(await stillWaitingAfter(recordingPicked, 5_000)).toBe(false);
      expect((await store.eventsBetween(1, 10)).map((e) => e.transitionId)).toEqual([handedOver._id, picked._id]);
    }));
});

