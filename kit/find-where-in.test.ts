import { afterAll, describe, expect, inject, it } from 'vitest';
import { TestDatabases } from '../test/harness.ts';
import { onMongoCommand } from './mongo-command-hooks.ts';
import { byId, findByIds, findWhereIn } from './mongo.ts';

// findWhereIn answers a DataLoader batch with one lookup per value on FerretDB (which would scan
// the whole collection for a `$in`) and with one `$in` on MongoDB. Either way it must find exactly
// what `$in` finds: a field holding an array matches each of its values, the extra filter holds,
// and a value asked twice gives each document once.

const databases = new TestDatabases();
afterAll(() => databases.cleanup());

interface Picklist {
  _id: string;
  status: 'PENDING' | 'RELEASED';
  orderIds: string[];
  centre: string;
}

describe('findWhereIn', () => {
  it('finds what $in finds: array fields, an extra filter, repeated and unknown values', async () => {
    const db = await databases.create('find_where_in');
    const picklists = db.collection<Picklist>('picklists');
    await picklists.createIndex({ orderIds: 1 });
    await picklists.insertMany(
      Array.from({ length: 60 }, (_, i) => ({
        _id: `p${String(i).padStart(2, '0')}`,
        status: i % 3 ? ('RELEASED' as const) : ('PENDING' as const),
        orderIds: [`o${i}`, `o${i + 1}`],
        centre: i % 2 ? 'LHR1' : 'FRA1',
      })),
    );
    const asked = ['o5', 'o6', 'o6', 'o40', 'o999'];
    const viaIn = await picklists.find({ status: 'RELEASED', orderIds: { $in: asked } }).toArray();

    const found = await findWhereIn(picklists, 'orderIds', asked, { status: 'RELEASED' });
    const ids = found.map((picklist) => picklist._id);
    expect(ids.sort()).toEqual(viaIn.map((picklist) => picklist._id).sort());
    // p05 holds both o5 and o6, and is there once.
    expect(ids).toEqual(['p04', 'p05', 'p40']);

    expect(await findWhereIn(picklists, 'centre', [])).toEqual([]);
    expect(await findWhereIn(picklists, 'centre', ['MAD1'])).toEqual([]);
    expect((await findByIds(picklists, ['p07', 'p03', 'p07', 'nope'])).sort(byId).map((picklist) => picklist._id)).toEqual(['p03', 'p07']);
  });

  it.skipIf(inject('embeddedDb') === 'external')('looks up a batch of hundreds a value at a time on FerretDB, never reading the whole collection', async () => {
    const db = await databases.create('find_where_in_many');
    const marks = db.collection<{ _id: string; seq: number }>('marks');
    await marks.insertMany(Array.from({ length: 600 }, (_, i) => ({ _id: `t${i}`, seq: i })));
    const asked = Array.from({ length: 250 }, (_, i) => `t${i * 2}`);
    let finds = 0;
    let watching = true;
    onMongoCommand(({ database, name }) => {
      if (watching && database === db.databaseName && name === 'find') finds += 1;
      return undefined;
    });
    try {
      expect((await findByIds(marks, asked)).map((mark) => mark._id).sort()).toEqual([...asked].sort());
    } finally {
      watching = false;
    }
    // One equality each (an index lookup), not one `$in` that reads all 600 (and, in a real store, every order's).
    expect(finds).toBe(250);
  });
});
