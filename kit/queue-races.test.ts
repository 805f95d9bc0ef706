import type { Db, Filter } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDatabases } from '../test/harness.ts';
import { DurableQueue, readItem, type QueueItem } from './queue.ts';
import type { VersionedDocuments } from './versioned.ts';

// Compare-and-swap on a queue element starts from the element as its lease wrote it, or as the
// relay read it, instead of reading it again (kit/versioned.ts). These are the interleavings in
// which that copy is stale in a way the version claim alone cannot see: the element was
// archived (its history dropped) meanwhile. None may leave history behind or bring it back.
// Archiving is what FerretDB's SQLite handler does (kit/queue.ts, `archive`); these queues archive
// whatever the database, so that its races are tried on every one.

const dbs = new TestDatabases();
let db: Db;
beforeAll(async () => {
  db = await dbs.create('queue_races');
});
afterAll(() => dbs.cleanup());

let counter = 0;
async function newQueue() {
  const queue = new DurableQueue<{ n: number }, { ok: boolean }>(db, `race${++counter}`, { archive: true });
  await queue.ensureIndexes();
  return queue;
}
type Holdable = Record<'insertOne' | 'replaceOne', (...args: unknown[]) => Promise<unknown>>;
const historyOf = (queue: DurableQueue<any, any>) => db.collection(`queue_${queue.name}_history`).find({}).toArray();

/**
 * Enqueues `x` again (a late duplicate) and withdraws it in between the duplicate's two looks at
 * `finished`: the withdrawal archives x, then the duplicate stores it again, at version 0, and is
 * held before its second look. `finish` lets it go on and says whether it created an element.
 */
async function withdrawDuringLateDuplicate(queue: DurableQueue<{ n: number }, { ok: boolean }>) {
  const finished = queue.finished as unknown as { findOne: (filter: Filter<QueueItem<unknown>>) => Promise<unknown> };
  const realFindOne = finished.findOne.bind(queue.finished);
  const gate = () => {
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    return { open, opened };
  };
  const firstLooked = gate();
  const mayInsert = gate();
  const secondLook = gate();
  const maySecondLook = gate();
  let looks = 0;
  finished.findOne = async (filter) => {
    looks++;
    if (looks === 1) {
      const found = await realFindOne(filter);
      firstLooked.open();
      await mayInsert.opened;
      return found;
    }
    if (looks === 2) {
      secondLook.open();
      await maySecondLook.opened;
    }
    return realFindOne(filter);
  };
  const duplicate = queue.enqueue('x', { n: 99 });
  await firstLooked.opened;
  // The withdrawal's own looks go straight through; the duplicate's second one is held.
  finished.findOne = realFindOne;
  expect((await queue.withdraw('x', [])).outcome).toBe('withdrawn');
  looks = 1;
  finished.findOne = async (filter) => {
    looks++;
    if (looks === 2) {
      secondLook.open();
      await maySecondLook.opened;
    }
    return realFindOne(filter);
  };
  mayInsert.open();
  await secondLook.opened;
  return {
    async finish() {
      maySecondLook.open();
      try {
        return (await duplicate).created;
      } finally {
        finished.findOne = realFindOne;
      }
    },
  };
}

async function expectOnlyTheArchivedCopy(queue: DurableQueue<{ n: number }, { ok: boolean }>) {
  expect(await queue.items.findOne({ _id: 'x' } as Filter<QueueItem<{ n: number }, { ok: boolean }>>)).toBeNull();
  expect((await queue.get('x'))!.status).toBe('CANCELLED');
  expect(await historyOf(queue)).toEqual([]);
}

describe('a queue element archived while a stale copy of it is in use', () => {
  it('a worker whose element was withdrawn and archived cannot complete it, and leaves no history behind', async () => {
    const queue = await newQueue();
    await queue.enqueue('x', { n: 1 });
    const [lease] = await queue.lease('w', 1);
    expect((await queue.withdraw('x', [])).outcome).toBe('withdrawn');
    expect(await queue.complete(lease!, { result: { ok: true } })).toBe(false);
    expect(await historyOf(queue)).toEqual([]);
    expect((await queue.get('x'))!.status).toBe('CANCELLED');
  });

  it('two relays recording the same read: the second changes nothing and leaves no history behind', async () => {
    const queue = await newQueue();
    await queue.post('p', [{ id: 'm', target: 't', operation: 'o', variables: {} }]);
    const [first] = await queue.withPendingOutbox(10);
    const [second] = await queue.withPendingOutbox(10);
    await queue.recordDeliveries('p', new Map([['m', null]]), new Set(), first);
    expect(await queue.items.countDocuments()).toBe(0);
    await queue.recordDeliveries('p', new Map([['m', null]]), new Set(), second);
    expect(await historyOf(queue)).toEqual([]);
    expect(await queue.items.countDocuments()).toBe(0);
  });

  it('a late duplicate enqueued while the element is withdrawn: the old lease cannot complete it, and nothing comes back to life', async () => {
    const queue = await newQueue();
    await queue.enqueue('x', { n: 1 });
    const [lease] = await queue.lease('w', 1);
    const late = await withdrawDuringLateDuplicate(queue); // x is live again for a moment, at version 0
    const completed = await queue.complete(lease!, { result: { ok: true }, messages: [{ id: 'handoff', target: 'next', operation: 'o', variables: {} }] });
    expect(await late.finish()).toBe(false);
    expect(completed).toBe(false);
    await expectOnlyTheArchivedCopy(queue);
  });

  it('the old lease cannot complete the brief copy either once another worker leased it (same version, another life)', async () => {
    const queue = await newQueue();
    await queue.enqueue('x', { n: 1 });
    const [lease] = await queue.lease('w', 1);
    const late = await withdrawDuringLateDuplicate(queue);
    const elsewhere = new DurableQueue<{ n: number }, { ok: boolean }>(db, queue.name, { archive: true });
    const [other] = await elsewhere.lease('other', 1); // the brief copy, now at version 1 like the old lease's copy
    expect(other?.id).toBe('x');
    const completed = await queue.complete(lease!, { result: { ok: true }, messages: [{ id: 'handoff', target: 'next', operation: 'o', variables: {} }] });
    expect(completed).toBe(false);
    expect(await late.finish()).toBe(false);
    expect(await elsewhere.complete(other!, { result: { ok: true } })).toBe(false); // its element is gone
    await expectOnlyTheArchivedCopy(queue);
  });

  it('nor when its completion read the element before the withdrawal and claims after another worker leased the brief copy', async () => {
    const queue = await newQueue();
    await queue.enqueue('x', { n: 1 });
    const worker = new DurableQueue<{ n: number }, { ok: boolean }>(db, queue.name, { archive: true });
    const [lease] = await worker.lease('w', 1);
    // A copy of the lease has no head kept with it: completing it reads the element first. Its
    // write (the claim of the next version, or the guarded replace where writes are guarded) is
    // held until the element has been archived and stored again.
    const cas = (worker as unknown as { cas: VersionedDocuments<object> }).cas;
    const writes = (await cas.guarded()) ? (cas.heads as unknown as Holdable) : (cas.history as unknown as Holdable);
    const method = (await cas.guarded()) ? 'replaceOne' : 'insertOne';
    const realWrite = writes[method].bind(writes);
    let claimRead!: () => void;
    const readDone = new Promise<void>((resolve) => (claimRead = resolve));
    let mayClaim!: () => void;
    const claimAllowed = new Promise<void>((resolve) => (mayClaim = resolve));
    writes[method] = async (...args: unknown[]) => {
      writes[method] = realWrite;
      claimRead();
      await claimAllowed;
      return realWrite(...args);
    };
    const completing = worker.complete({ ...lease! }, { result: { ok: true }, messages: [{ id: 'handoff', target: 'next', operation: 'o', variables: {} }] });
    await readDone;
    const late = await withdrawDuringLateDuplicate(queue);
    const elsewhere = new DurableQueue<{ n: number }, { ok: boolean }>(db, queue.name, { archive: true });
    const [other] = await elsewhere.lease('other', 1);
    expect(other?.id).toBe('x');
    mayClaim();
    expect(await completing).toBe(false);
    const brief = await queue.items.findOne({ _id: 'x' } as Filter<QueueItem<{ n: number }, { ok: boolean }>>);
    expect(brief).toMatchObject({ status: 'LEASED', leaseOwner: 'other', outboxPending: false });
    // Nothing irreversible is done for the brief copy either: its worker cannot pass the point of no return.
    expect(await elsewhere.seal(other!)).toBeNull();
    expect(await late.finish()).toBe(false);
    await expectOnlyTheArchivedCopy(queue);
  });
});

// A finished element whose last deliveries went through is archived straight from the relay's
// copy (no compare-and-swap of its head first). Relays in several processes can record one
// element from the same read and disagree (one delivered a message, another saw it fail or
// refused). However their records interleave, it must end up archived, saying that a message
// delivered by any of them was delivered, with no live copy or history behind.
describe('two relays recording a finished element at once', () => {
  const elementP = { _id: 'p' } as Filter<QueueItem<{ n: number }, { ok: boolean }>>;
  const messages = [
    { id: 'm1', target: 't', operation: 'o', variables: {} },
    { id: 'm2', target: 't', operation: 'o', variables: {} },
  ];
  async function postedAndRead(times: number) {
    const queue = await newQueue();
    await queue.post('p', messages);
    const reads: QueueItem<{ n: number }, { ok: boolean }>[] = [];
    for (let i = 0; i < times; i++) reads.push((await queue.withPendingOutbox(10))[0]!);
    return { queue, reads };
  }
  async function postedAndReadTwice() {
    const { queue, reads } = await postedAndRead(2);
    return { queue, first: reads[0]!, second: reads[1]! };
  }
  async function expectArchivedDelivered(queue: DurableQueue<{ n: number }, { ok: boolean }>) {
    expect(await queue.items.countDocuments()).toBe(0);
    expect(await historyOf(queue)).toEqual([]);
    const archived = readItem((await queue.finished.findOne(elementP))!);
    expect(archived.outbox.map((m) => [m.id, m.delivered, m.abandoned ?? false])).toEqual([
      ['m1', true, false],
      ['m2', true, false],
    ]);
    expect(archived.outboxPending).toBe(false);
  }

  it('all delivered first, then a failure recorded from the same read: the failure changes nothing', async () => {
    const { queue, first, second } = await postedAndReadTwice();
    await queue.recordDeliveries('p', new Map([['m1', null], ['m2', null]]), new Set(), first);
    await queue.recordDeliveries('p', new Map([['m1', 'target down']]), new Set(), second);
    await expectArchivedDelivered(queue);
  });

  it('a failure recorded first, then all delivered from the same read: archived as delivered', async () => {
    const { queue, first, second } = await postedAndReadTwice();
    await queue.recordDeliveries('p', new Map([['m1', 'target down']]), new Set(), second);
    expect((await queue.items.findOne(elementP))!.outboxPending).toBe(true);
    await queue.recordDeliveries('p', new Map([['m1', null], ['m2', null]]), new Set(), first);
    await expectArchivedDelivered(queue);
  });

  it('delivered by one, refused to the other: recorded as delivered, whichever records first', async () => {
    for (const deliveredFirst of [true, false]) {
      const { queue, first, second } = await postedAndReadTwice();
      const delivered = () => queue.recordDeliveries('p', new Map([['m1', null], ['m2', null]]), new Set(), first);
      const refused = () => queue.recordDeliveries('p', new Map([['m1', 'refused by target'], ['m2', null]]), new Set(['m1']), second);
      if (deliveredFirst) {
        await delivered();
        await refused();
      } else {
        await refused();
        await delivered();
      }
      await expectArchivedDelivered(queue);
    }
  });

  // A delivers m1 while m2 fails, so the element stays live; B, from the same read, sees m1
  // refused and delivers m2, so nothing is left to send. B's copy must not undo A's delivery.
  it('one relay delivers m1 (m2 failing), the other delivers m2 (m1 refused): both recorded as delivered, in either order', async () => {
    for (const liveFirst of [true, false]) {
      const { queue, first, second } = await postedAndReadTwice();
      const a = () => queue.recordDeliveries('p', new Map([['m1', null], ['m2', 'target down']]), new Set(), first);
      const b = () => queue.recordDeliveries('p', new Map([['m1', 'refused by target'], ['m2', null]]), new Set(['m1']), second);
      if (liveFirst) {
        await a();
        expect(readItem((await queue.items.findOne(elementP))!).outbox.map((m) => m.delivered)).toEqual([true, false]);
        await b();
      } else {
        await b();
        await a();
      }
      await expectArchivedDelivered(queue);
    }
  });

  // A archives the element with both refused; B (delivered m1) and C (delivered m2) then find it
  // archived and add their deliveries, reading the archive at the same moment.
  it('two relays adding deliveries to the archive at once: neither undoes the other', async () => {
    const { queue, reads } = await postedAndRead(3);
    const [a, b, c] = reads;
    await queue.recordDeliveries('p', new Map([['m1', 'refused'], ['m2', 'refused']]), new Set(['m1', 'm2']), a!);

    // Both read the archive before either writes it back.
    const finished = queue.finished as unknown as { findOne: (...args: unknown[]) => Promise<unknown> };
    const realFindOne = finished.findOne.bind(queue.finished);
    let archiveReads = 0;
    let release!: () => void;
    const bothRead = new Promise<void>((resolve) => (release = resolve));
    finished.findOne = async (...args: unknown[]) => {
      const found = await realFindOne(...args);
      if (++archiveReads === 2) release();
      await bothRead;
      return found;
    };
    try {
      await Promise.all([
        queue.recordDeliveries('p', new Map([['m1', null], ['m2', 'refused']]), new Set(['m2']), b!),
        queue.recordDeliveries('p', new Map([['m1', 'refused'], ['m2', null]]), new Set(['m1']), c!),
      ]);
    } finally {
      finished.findOne = realFindOne;
    }
    await expectArchivedDelivered(queue);
  });

  it('a message still to be sent keeps the element live, with the delivered one recorded', async () => {
    const { queue, first } = await postedAndReadTwice();
    await queue.recordDeliveries('p', new Map([['m1', null]]), new Set(), first);
    const live = readItem((await queue.items.findOne(elementP))!);
    expect(live.outbox.map((m) => [m.id, m.delivered])).toEqual([
      ['m1', true],
      ['m2', false],
    ]);
    expect(await queue.finished.countDocuments()).toBe(0);
  });
});

describe('a candidate a poll kept, taken by another worker since', () => {
  it('is not leased a second time: the kept copy is stale, and the element stays with the worker that took it', async () => {
    const queue = await newQueue();
    await queue.enqueue('x', { n: 1 });
    await queue.enqueue('y', { n: 2 });
    const [first] = await queue.lease('a', 1); // reads both, leases one, keeps the other
    const other = new DurableQueue<{ n: number }, { ok: boolean }>(db, queue.name, { archive: true });
    const [taken] = await other.lease('b', 2); // the one left, before the kept copy goes stale (1 s)
    expect(taken!.id).not.toBe(first!.id);
    expect(await queue.lease('a', 1)).toEqual([]);
    const held = await queue.items.findOne({ _id: taken!.id } as Filter<QueueItem<{ n: number }, { ok: boolean }>>);
    expect(held).toMatchObject({ status: 'LEASED', leaseOwner: 'b', leaseToken: taken!.token, attempts: 1 });
    expect(await other.complete(taken!, { result: { ok: true } })).toBe(true);
  });
});
