import type { Db, Filter } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDatabases } from '../test/harness.ts';
import { DurableQueue, type QueueItem } from './queue.ts';

// Relays in several processes can record one finished element from the same read and disagree
// (one delivered a message, the other saw it refused). However their records interleave, the
// archive must say that a message delivered by any of them was delivered.

const dbs = new TestDatabases();
let db: Db;
beforeAll(async () => {
  db = await dbs.create('queue_archive');
});
afterAll(() => dbs.cleanup());

let counter = 0;
async function newQueue() {
  const queue = new DurableQueue<{ n: number }, { ok: boolean }>(db, `archive${++counter}`, {});
  await queue.ensureIndexes();
  return queue;
}
type Item = QueueItem<{ n: number }, { ok: boolean }>;
const elementP = { _id: 'p' } as Filter<Item>;
const historyOf = (queue: DurableQueue<any, any>) => db.collection(`queue_${queue.name}_history`).find({}).toArray();
const messages = [
  { id: 'm1', target: 't', operation: 'o', variables: {} },
  { id: 'm2', target: 't', operation: 'o', variables: {} },
];
async function postedAndReadTwice(queue: DurableQueue<{ n: number }, { ok: boolean }>) {
  await queue.post('p', messages);
  const [first] = await queue.withPendingOutbox(10);
  const [second] = await queue.withPendingOutbox(10);
  return { first: first!, second: second! };
}
async function archivedOutbox(queue: DurableQueue<{ n: number }, { ok: boolean }>) {
  expect(await queue.items.countDocuments()).toBe(0);
  expect(await historyOf(queue)).toEqual([]);
  const archived = (await queue.finished.findOne(elementP))!;
  return archived.outbox.map((m) => [m.id, m.delivered]);
}

describe('a stale relay copy archived over a live head another relay recorded', () => {
  // Relay A delivers m1 while m2 fails: m2 is still pending, so the element stays live. Relay B,
  // from the same read, sees m1 refused and delivers m2: nothing is left to send, so it is
  // archived. B's copy must not overwrite A's delivery of m1, in either order.
  it('delivered recorded live first, then a refusal archived from the stale read: m1 must stay delivered', async () => {
    const queue = await newQueue();
    const { first, second } = await postedAndReadTwice(queue);
    await queue.recordDeliveries('p', new Map([['m1', null], ['m2', 'target down']]), new Set(), first);
    expect((await queue.items.findOne(elementP))!.outbox.map((m) => m.delivered)).toEqual([true, false]);
    await queue.recordDeliveries('p', new Map([['m1', 'refused by target'], ['m2', null]]), new Set(['m1']), second);
    expect(await archivedOutbox(queue)).toEqual([
      ['m1', true],
      ['m2', true],
    ]);
  });

  it('a refusal archived from a stale read first, then a delivery recorded: m1 must end up delivered', async () => {
    const queue = await newQueue();
    const { first, second } = await postedAndReadTwice(queue);
    await queue.recordDeliveries('p', new Map([['m1', 'refused by target'], ['m2', null]]), new Set(['m1']), second);
    await queue.recordDeliveries('p', new Map([['m1', null], ['m2', 'target down']]), new Set(), first);
    expect(await archivedOutbox(queue)).toEqual([
      ['m1', true],
      ['m2', true],
    ]);
  });
});

describe('three relays archiving one read at once', () => {
  // Relay A archives the element (both refused). B (delivered m1) and C (delivered m2) then
  // find it archived and each add their delivery to the archive, reading it at the same moment:
  // neither may undo the other's.
  it('two merges at once: both deliveries must be kept', async () => {
    const queue = await newQueue();
    await queue.post('p', messages);
    const [a] = await queue.withPendingOutbox(10);
    const [b] = await queue.withPendingOutbox(10);
    const [c] = await queue.withPendingOutbox(10);
    await queue.recordDeliveries('p', new Map([['m1', 'refused'], ['m2', 'refused']]), new Set(['m1', 'm2']), a!);

    // Both merges read the archive before either writes it back.
    const finished = queue.finished as unknown as { findOne: (...args: unknown[]) => Promise<unknown> };
    const realFindOne = finished.findOne.bind(queue.finished);
    let reads = 0;
    let release!: () => void;
    const bothRead = new Promise<void>((resolve) => (release = resolve));
    finished.findOne = async (...args: unknown[]) => {
      const found = await realFindOne(...args);
      if (++reads === 2) release();
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
    expect(await archivedOutbox(queue)).toEqual([
      ['m1', true],
      ['m2', true],
    ]);
  });
});
