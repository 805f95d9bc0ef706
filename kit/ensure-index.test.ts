import { afterAll, describe, expect, it } from 'vitest';
import { TestDatabases } from '../test/harness.ts';
import { onMongoCommand } from './mongo-command-hooks.ts';
import { ensureIndex, retireIndex } from './mongo.ts';

// A service declares its indexes at every start. Once they exist, a start only lists them: on
// FerretDB 1.24 creating one (even one that exists) takes its catalogue's lock while it waits for a
// PostgreSQL connection, which under load can stop FerretDB for good.

const databases = new TestDatabases();
afterAll(() => databases.cleanup());

const sent: string[] = [];
let watched = '';
onMongoCommand(({ database, name }) => {
  if (database === watched) sent.push(name);
  return undefined;
});

describe('ensureIndex', () => {
  it('creates a missing index, and on a later start only lists the indexes it finds there', async () => {
    const db = await databases.create('ensure_index');
    watched = db.databaseName;
    const items = db.collection('items');
    await ensureIndex(items, { sku: 1, at: -1 }, { name: 'by_sku' });
    await ensureIndex(items, { code: 1 }, { name: 'code_unique', unique: true });
    expect(sent.filter((name) => name === 'createIndexes')).toHaveLength(2);
    const indexes = await db.collection('items').listIndexes().toArray();
    expect(indexes.map((index) => index.name).sort()).toEqual(['_id_', 'by_sku', 'code_unique']);
    await db.collection('items').insertOne({ code: 'a' });
    await expect(db.collection('items').insertOne({ code: 'a' })).rejects.toThrow(/duplicate key/i);

    // The next start: a new collection object, as a restarted process has.
    sent.length = 0;
    const again = db.collection('items');
    await ensureIndex(again, { sku: 1, at: -1 }, { name: 'by_sku' });
    await ensureIndex(again, { code: 1 }, { name: 'code_unique', unique: true });
    expect(sent).toEqual(['listIndexes']);

    // Declared otherwise than it exists: created all the same, and refused as createIndex is.
    await expect(ensureIndex(again, { sku: 1 }, { name: 'by_sku' })).rejects.toThrow();
  });

  it("drops an earlier version's index where it is there, and sends nothing where it is not", async () => {
    const db = await databases.create('retire_index');
    watched = db.databaseName;
    await db.collection('items').createIndex({ old: 1 }, { name: 'retired' });
    sent.length = 0;
    const items = db.collection('items');
    await retireIndex(items, 'retired');
    await retireIndex(items, 'never_there');
    expect(sent).toEqual(['listIndexes', 'dropIndexes']);
    expect((await db.collection('items').listIndexes().toArray()).map((index) => index.name)).toEqual(['_id_']);
  });
});
