import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mostWritesAtOnce, TestDatabases } from '../test/harness.ts';
import { DurableQueue, readItem, variablesOf, type OutboxMessage } from './queue.ts';
import { MongoClient, type Db } from 'mongodb';
import { renderMetrics } from './metrics.ts';

const dbs = new TestDatabases();
let db: Db;

beforeAll(async () => {
  db = await dbs.create('queue');
});
afterAll(() => dbs.cleanup());

let counter = 0;
async function newQueue(options: ConstructorParameters<typeof DurableQueue>[2] = {}) {
  const queue = new DurableQueue<{ n: number }, { ok: boolean }>(db, `q${++counter}`, options);
  await queue.ensureIndexes();
  return queue;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('DurableQueue', () => {
  it('stores an element enqueued twice once', async () => {
    const queue = await newQueue();
    const first = await queue.enqueue('e1', { n: 1 });
    const second = await queue.enqueue('e1', { n: 2 });
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.item.payload).toEqual({ n: 1 });
    expect(await queue.items.countDocuments()).toBe(1);
  });

  it('leases each element to one worker at a time, even when workers race', async () => {
    const queue = await newQueue();
    for (let i = 0; i < 20; i++) await queue.enqueue(`e${String(i).padStart(2, '0')}`, { n: i });
    const leased: string[] = [];
    for (let round = 0; round < 10 && leased.length < 20; round++) {
      const batches = await Promise.all(Array.from({ length: 6 }, (_, w) => queue.lease(`worker-${w}`, 5)));
      leased.push(...batches.flat().map((lease) => lease.id));
    }
    expect(leased.length).toBe(20);
    expect(new Set(leased).size).toBe(20);
    expect(await queue.lease('late', 5)).toEqual([]);
  });

  it('takes the leases a worker asks for at once, not one round trip after another', async () => {
    const queue = await newQueue();
    for (let i = 0; i < 8; i++) await queue.enqueue(`e${i}`, { n: i });
    let leases: Awaited<ReturnType<typeof queue.lease>> = [];
    const writesAtOnce = await mostWritesAtOnce(db, 8, async () => (leases = await queue.lease('worker', 8)));
    expect(leases.map((lease) => lease.id).sort()).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7']);
    expect(writesAtOnce).toBe(8);
  });

  it('leases an element enqueued ahead before the backlog waiting for it', async () => {
    const queue = await newQueue();
    for (let i = 0; i < 40; i++) await queue.enqueue(`backlog-${i}`, { n: i });
    await queue.enqueue('urgent', { n: 99 }, { ahead: true });
    // One worker taking one at a time, as a busy coordinator does: the urgent one comes first.
    const [first] = await queue.lease('worker-1', 1);
    expect(first!.id).toBe('urgent');
    expect((await queue.lease('worker-1', 1))[0]!.id).toMatch(/^backlog-/);
  });

  it('completes with a fencing token: a worker whose lease expired and was taken over cannot complete', async () => {
    const queue = await newQueue({ visibilityTimeoutMs: 100 });
    await queue.enqueue('e', { n: 1 });
    const [stale] = await queue.lease('slow-worker', 1);
    await sleep(150);
    const [fresh] = await queue.lease('fast-worker', 1);
    expect(fresh!.token).not.toBe(stale!.token);
    expect(await queue.complete(stale!, { result: { ok: false } })).toBe(false);
    expect(await queue.renew(stale!)).toBe(false);
    expect(await queue.fail(stale!, 'boom')).toBe('lost');
    expect(await queue.complete(fresh!, { result: { ok: true } })).toBe(true);
    const item = await queue.get('e');
    expect(item).toMatchObject({ status: 'DONE', result: { ok: true }, attempts: 2 });
  });

  it('renewal keeps a long-running lease from expiring', async () => {
    const queue = await newQueue({ visibilityTimeoutMs: 600 });
    await queue.enqueue('e', { n: 1 });
    const [lease] = await queue.lease('w', 1);
    for (let i = 0; i < 4; i++) {
      await sleep(250);
      expect(await queue.renew(lease!)).toBe(true);
    }
    expect(await queue.lease('other', 1)).toEqual([]);
    expect(await queue.complete(lease!)).toBe(true);
  });

  it('cancels an element nobody works on, waiting or parked, and leaves one a worker holds to it (cancelWaiting)', async () => {
    const queue = await newQueue({ maxAttempts: 1, exceptionMessage: (item) => ({ target: 'exceptions', operation: 'raise', variables: { id: item._id } }) });
    const told = (current: { _id: string; status: string }) => [{ target: 'orders', operation: 'withdrawn', variables: { id: current._id, was: current.status } }];
    await queue.enqueue('waiting', { n: 1 });
    expect(await queue.cancelWaiting('waiting', told)).toBe('cancelled');
    await queue.enqueue('held', { n: 2 });
    const [held] = await queue.lease('w', 1);
    expect(await queue.cancelWaiting('held', told)).toBe('working');
    // Its worker goes on; once it has given up (parked), the element is cancelled.
    expect(await queue.fail(held!, 'processor down')).toBe('failed');
    expect(await queue.cancelWaiting('held', told)).toBe('cancelled');
    expect(await queue.cancelWaiting('held', told)).toBe('finished');
    expect(await queue.cancelWaiting('nothing', told)).toBe('finished');
    for (const [id, was] of [['waiting', 'READY'], ['held', 'FAILED']] as const) {
      const item = (await queue.get(id))!;
      expect(item.status, id).toBe('CANCELLED');
      expect(item.outbox.filter((m) => m.target === 'orders').map(variablesOf), id).toEqual([{ id, was }]);
    }
    expect(await queue.lease('w', 2)).toEqual([]);
  });

  it('retries a failure after a backoff, then parks it as FAILED with a message for the exceptions service', async () => {
    const queue = await newQueue({
      maxAttempts: 2,
      backoffBaseMs: 1_000,
      exceptionMessage: (item, reason) => ({ target: 'exceptions', operation: 'mutation', variables: { id: item._id, reason } }),
    });
    await queue.enqueue('e', { n: 1 });
    const [first] = await queue.lease('w', 1);
    expect(await queue.fail(first!, 'timeout')).toBe('retrying');
    expect(await queue.lease('w', 1)).toEqual([]); // still backing off (500 to 1000 ms)
    await sleep(1_050);
    const [second] = await queue.lease('w', 1);
    expect(second!.attempts).toBe(2);
    expect(await queue.fail(second!, 'timeout again')).toBe('failed');
    const item = await queue.get('e');
    expect(item).toMatchObject({ status: 'FAILED', lastError: 'timeout again', outboxPending: true });
    expect(item!.outbox).toEqual([expect.objectContaining({ target: 'exceptions', delivered: false })]);
    expect(variablesOf(item!.outbox[0]!)).toEqual({ id: 'e', reason: 'timeout again' });
    // Stored as JSON text (FerretDB reads a nested object field by field); undefined is sent as null, as before.
    expect(typeof item!.outbox[0]!.variablesJson).toBe('string');
    expect(item!.outbox[0]!.variables).toBeUndefined();
    // A message stored before, with its variables as an object, is read as it was.
    expect(variablesOf({ variables: { id: 'old', reason: null } })).toEqual({ id: 'old', reason: null });

    const retried = await queue.retry('e');
    expect(retried).toMatchObject({ status: 'READY', attempts: 0 });
    expect(await queue.lease('w', 1)).toHaveLength(1);
  });

  it('gives the attempt back when the database or a service was unavailable, and parks only after maxWaits of those in a row', async () => {
    const queue = await newQueue({ maxAttempts: 2, backoffBaseMs: 10, maxWaits: 4 });
    await queue.enqueue('e', { n: 1 });
    for (let i = 1; i <= 4; i++) {
      const [lease] = await eventuallyLease(queue);
      expect(lease!.attempts).toBe(1); // never more: an outage is not the element's fault
      expect(await queue.fail(lease!, 'inventory unreachable', { unavailable: true })).toBe('waiting');
    }
    const [fifth] = await eventuallyLease(queue);
    expect(await queue.fail(fifth!, 'inventory unreachable', { unavailable: true })).toBe('failed');
    expect(await queue.get('e')).toMatchObject({ status: 'FAILED', lastError: 'inventory unreachable (unavailable 4 times in a row)' });
  });

  it('an ordinary failure after some unavailable ones still counts its attempts', async () => {
    const queue = await newQueue({ maxAttempts: 2, backoffBaseMs: 10 });
    await queue.enqueue('e', { n: 1 });
    expect(await queue.fail((await eventuallyLease(queue))[0]!, 'database down', { unavailable: true })).toBe('waiting');
    expect(await queue.fail((await eventuallyLease(queue))[0]!, 'bad data')).toBe('retrying');
    const [last] = await eventuallyLease(queue);
    expect(last!.attempts).toBe(2);
    expect(await queue.fail(last!, 'bad data')).toBe('failed');
  });

  it('parks an element whose worker keeps dying once its attempts are used up', async () => {
    const queue = await newQueue({ maxAttempts: 2, visibilityTimeoutMs: 50 });
    await queue.enqueue('e', { n: 1 });
    await queue.lease('dies-1', 1);
    await sleep(60);
    await queue.lease('dies-2', 1);
    await sleep(60);
    expect(await queue.lease('w', 1)).toEqual([]);
    expect(await queue.get('e')).toMatchObject({ status: 'FAILED' });
  });

  it('records the hand-off with the completion and tracks its delivery', async () => {
    const queue = await newQueue();
    await queue.enqueue('e', { n: 1 });
    const [lease] = await queue.lease('w', 1);
    await queue.complete(lease!, { messages: [{ id: 'm1', target: 'next', operation: 'mutation', variables: { n: 1 } }] });
    expect((await queue.withPendingOutbox(10)).map((item) => item._id)).toEqual(['e']);
    await queue.recordDeliveries('e', new Map([['m1', 'connection refused']]));
    const failed = (await queue.get('e'))!.outbox[0]!;
    expect(failed).toMatchObject({ delivered: false, attempts: 1, lastError: 'connection refused' });
    expect(failed.nextAttemptAt!.getTime()).toBeGreaterThan(Date.now());
    await queue.recordDeliveries('e', new Map([['m1', null]]));
    expect(await queue.withPendingOutbox(10)).toEqual([]);
    expect((await queue.get('e'))!.outbox[0]).toMatchObject({ delivered: true, attempts: 2 });
  });

  for (const archive of [false, true]) {
    it(`a finished element ${archive ? 'archived' : 'kept where it is'}: never leased again, a late duplicate enqueue does not bring it back, and it is read as it finished`, async () => {
      const queue = await newQueue({ archive });
      await queue.enqueue('done-1', { n: 1 });
      await queue.enqueue('waiting-1', { n: 2 });
      const [lease] = await queue.lease('w', 2).then((leases) => leases.filter((l) => l.id === 'done-1'));
      expect(await queue.complete(lease!, { result: { ok: true }, messages: [{ id: 'm1', target: 'next', operation: 'mutation', variables: {} }] })).toBe(true);
      await queue.recordDeliveries('done-1', new Map([['m1', null]]), new Set(), readItem((await queue.items.findOne({ _id: 'done-1' }))!));

      expect(await queue.finished.countDocuments({ _id: 'done-1' })).toBe(archive ? 1 : 0);
      expect(await queue.items.countDocuments({ _id: 'done-1' })).toBe(archive ? 0 : 1);
      const late = await queue.enqueue('done-1', { n: 99 });
      expect(late.created).toBe(false);
      expect(late.item).toMatchObject({ status: 'DONE', payload: { n: 1 }, result: { ok: true } });
      expect(await queue.isLive('done-1')).toBe(false);
      expect(await queue.isLive('waiting-1')).toBe(true);
      // Only the waiting element is found by those looking for work or for what to send.
      await sleep(1_100); // past the kept candidates' freshness and the expired-lease check
      expect((await queue.due(new Date(Date.now() + 3_600_000), 10)).map((item) => item._id)).toEqual(['waiting-1']);
      expect(await queue.withPendingOutbox(10)).toEqual([]);
      expect((await queue.liveWhere({})).map((item) => item._id)).toEqual(['waiting-1']);
      expect(await queue.depth()).toMatchObject({ DONE: 1, LEASED: 1 });
      expect(await queue.get('done-1')).toMatchObject({ status: 'DONE', outbox: [expect.objectContaining({ delivered: true })] });
    });
  }

  it('amends an element in flight: a held lease is revoked in the same write, a sealed element is left alone', async () => {
    const queue = await newQueue();
    await queue.enqueue('e', { n: 1 });
    const [held] = await queue.lease('w', 1);
    const bump = (item: { payload: { n: number } }) => (item.payload.n < 2 ? { payload: { n: 2 }, messages: [{ id: 'r', target: 'tracking', operation: 'm', variables: {} }] } : null);
    expect((await queue.amend('e', bump)).outcome).toBe('amended');
    expect(await queue.seal(held!)).toBeNull();
    expect(await queue.complete(held!)).toBe(false);
    expect(await queue.get('e')).toMatchObject({ status: 'READY', payload: { n: 2 }, outboxPending: true });
    expect((await queue.amend('e', bump)).outcome).toBe('unchanged');

    const [again] = await queue.lease('w', 1);
    expect(again!.payload).toEqual({ n: 2 });
    expect(await queue.seal(again!)).toEqual({ n: 2 });
    expect((await queue.amend('e', () => ({ payload: { n: 3 } }))).outcome).toBe('sealed');
    expect(await queue.complete(again!)).toBe(true);
    expect((await queue.amend('e', () => ({ payload: { n: 3 } }))).outcome).toBe('finished');
  });

  it('posts messages that belong to no work once, by id', async () => {
    const queue = await newQueue();
    const message = { id: 'm', target: 'tracking', operation: 'mutation', variables: {} };
    await queue.post('report-1', [message]);
    await queue.post('report-1', [message]);
    expect((await queue.withPendingOutbox(10)).map((item) => item._id)).toEqual(['report-1']);
    await queue.recordDeliveries('report-1', new Map([['m', null]]));
    await queue.post('report-1', [message]); // delivered and archived: not sent again
    expect(await queue.withPendingOutbox(10)).toEqual([]);
  });

  it('of posts only: removes what was delivered, keeps what was given up, and takes no enqueue', async () => {
    const queue = await newQueue({ postsOnly: true });
    const message = (id: string) => ({ id, target: 'tracking', operation: 'mutation', variables: {} });
    await queue.post('report-1', [message('m1')]);
    await queue.post('report-1', [message('m1')]); // while it waits: one element
    await queue.post('report-2', [message('m2')]);
    expect((await queue.withPendingOutbox(10)).map((item) => item._id).sort()).toEqual(['report-1', 'report-2']);
    await queue.recordDeliveries('report-1', new Map([['m1', null]]), new Set(), readItem((await queue.items.findOne({ _id: 'report-1' }))!));
    await queue.recordDeliveries('report-2', new Map([['m2', 'refused']]), new Set(['m2']));
    expect(await queue.withPendingOutbox(10)).toEqual([]);
    // Delivered: gone. Given up: kept (archived, or where it is), for a person to read.
    expect(await queue.get('report-1')).toBeNull();
    expect((await queue.get('report-2'))?.outbox[0]?.abandoned).toBe(true);
    expect(await queue.items.countDocuments({ status: 'DONE', outboxPending: true })).toBe(0);
    // A post repeated after delivery is sent again (its receiver takes it once by id).
    await queue.post('report-1', [message('m1')]);
    expect((await queue.withPendingOutbox(10)).map((item) => item._id)).toEqual(['report-1']);
    await expect(queue.enqueue('work-1', { n: 1 })).rejects.toThrow(/posts only/);
  });
});

/** Leases the queue's one element once its backoff is over. */
async function eventuallyLease<P, R>(queue: DurableQueue<P, R>) {
  for (let i = 0; i < 200; i++) {
    const leases = await queue.lease('w', 1);
    if (leases.length) return leases;
    await sleep(10);
  }
  throw new Error('the element never became due');
}

describe('an outbox stored as JSON text', () => {
  it('is read as leniently as objects: only the times present become dates, null text is none', () => {
    const recordedAt = new Date('2026-12-05T00:00:00.000Z');
    const message = { id: 'm', target: 'next', operation: 'mutation { x }', variablesJson: '{"at":"2026-12-05T00:00:00.000Z"}', delivered: false, attempts: 0, recordedAt, nextAttemptAt: null };
    const read = readItem({ outboxJson: JSON.stringify([message, { id: 'older', delivered: true, attempts: 1 }]) } as { outbox: OutboxMessage[]; outboxJson?: string | null });
    expect(read).toEqual({ outbox: [message, { id: 'older', delivered: true, attempts: 1 }] });
    expect(read.outbox[0]!.recordedAt).toBeInstanceOf(Date);
    // Left out stays out: no invalid date, which would make a message never due.
    expect('recordedAt' in read.outbox[1]!).toBe(false);
    const objects = [message] as OutboxMessage[];
    expect(readItem({ outbox: objects, outboxJson: null })).toEqual({ outbox: objects });
    expect(readItem({ outbox: objects }).outbox).toBe(objects);
  });
});

describe("a queue's metrics", () => {
  it('are exported at 0 from when the process opens the queue, so the first element parked is an increase an alert sees', async () => {
    new DurableQueue<{ n: number }>(db, 'counted-from-zero');
    const page = await renderMetrics();
    for (const name of ['queue_dead_letters_total', 'queue_lease_expiries_total', 'queue_retries_total', 'queue_enqueued_total', 'queue_completed_total']) {
      expect(page, name).toContain(`${name}{database="${db.databaseName}",queue="counted-from-zero"} 0`);
    }
  });
});

describe("a queue's gauges while its database does not answer", () => {
  it('are left out of the scrape, not shown as they last were, and scrape_probe_answered says so', async () => {
    // The same database, through a client of its own that is then closed, as a process's is when its database is gone.
    const own = await new MongoClient(inject('mongoUri'), { serverSelectionTimeoutMS: 500 }).connect();
    const queue = new DurableQueue<{ n: number }>(own.db(db.databaseName), 'counted-while-down');
    await queue.enqueue('waiting', { n: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // past a scrape's count another test shares
    const probe = `probe="${db.databaseName}/counted-while-down"`;
    const series = (page: string) => page.split('\n').filter((line) => (line.includes('queue="counted-while-down"') || line.includes(probe)) && !line.includes('_total'));
    expect(series(await renderMetrics())).toEqual(
      expect.arrayContaining([expect.stringMatching(/^queue_depth\{.*status="READY"\} 1$/), expect.stringMatching(/^queue_oldest_ready_age_seconds\{.*\} /), `scrape_probe_answered{${probe}} 1`]),
    );
    await own.close();
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // past the scrapes' shared count
    expect(series(await renderMetrics())).toEqual([`scrape_probe_answered{${probe}} 0`]);
  });
});
