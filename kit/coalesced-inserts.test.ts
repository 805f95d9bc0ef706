import type { Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDatabases } from '../test/harness.ts';
import { coalescedInserts } from './coalesced-inserts.ts';
import { onMongoCommand } from './mongo-command-hooks.ts';

const dbs = new TestDatabases();
let db: Db;
let inserts = 0;
onMongoCommand(({ name, database }) => {
  if (name === 'insert' && database === db?.databaseName) inserts++;
  return undefined;
});

beforeAll(async () => {
  db = await dbs.create('coalesced');
});
afterAll(() => dbs.cleanup());

interface Doc {
  _id: string;
  by: string;
}

describe('coalescedInserts', () => {
  it('stores what callers give at the same moment in far fewer requests, and tells each which of its own were taken', async () => {
    const collection = db.collection<Doc>('together');
    await collection.insertOne({ _id: 'before', by: 'earlier' });
    const insert = coalescedInserts(collection);
    inserts = 0;
    const callers = Array.from({ length: 20 }, (_, c) => [{ _id: `c${c}-a`, by: `c${c}` }, { _id: `c${c}-b`, by: `c${c}` }]);
    // Caller 5 repeats one of caller 3's, and caller 9 one stored before: each is told so, by its own positions.
    callers[5]!.push({ _id: 'c3-a', by: 'c5' });
    callers[9]!.unshift({ _id: 'before', by: 'c9' });
    const failed = await Promise.all(callers.map((docs) => insert(docs)));

    expect(failed[5]).toEqual([2]);
    expect(failed[9]).toEqual([0]);
    expect(failed.filter((_, c) => c !== 5 && c !== 9).flat()).toEqual([]);
    expect(inserts).toBeLessThanOrEqual(2); // the first caller's alone, then everyone else's
    expect(await collection.countDocuments()).toBe(41);
    expect((await collection.findOne({ _id: 'c3-a' }))!.by).toBe('c3');
    expect((await collection.findOne({ _id: 'before' }))!.by).toBe('earlier');
  });

  it('sends a caller alone at once, and one after another when they come one after another', async () => {
    const insert = coalescedInserts(db.collection<Doc>('alone'));
    inserts = 0;
    expect(await insert([{ _id: 'x', by: 'one' }])).toEqual([]);
    expect(await insert([{ _id: 'x', by: 'two' }])).toEqual([0]);
    expect(await insert([])).toEqual([]);
    expect(inserts).toBe(2);
  });

  it('fails every caller in a request that fails, and sends those after it again', async () => {
    const collection = db.collection<Doc>('failing');
    const insert = coalescedInserts(collection);
    const first = insert([{ _id: 'first', by: 'w' }]); // sent at once: the next two wait for it, and go together
    // A document the server refuses for another reason than a taken id: an array cannot be an `_id`.
    const refused = insert([{ _id: ['bad'], by: 'x' } as unknown as Doc]);
    const sharing = insert([{ _id: 'sharing', by: 'y' }]);
    expect(await first).toEqual([]);
    await expect(refused).rejects.toThrow();
    await expect(sharing).rejects.toThrow();
    expect(await insert([{ _id: 'after', by: 'z' }])).toEqual([]);
    // Unordered: the server stored the good documents of the failed request, as it would have alone; a caller finds out by reading.
    expect((await collection.find().toArray()).map((doc) => doc._id).sort()).toEqual(['after', 'first', 'sharing']);
  });
});
