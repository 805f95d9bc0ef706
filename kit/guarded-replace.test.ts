import type { Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TestDatabases } from '../test/harness.ts';
import { isReplaceConflict, newRevision, replacesAreGuarded } from './guarded-replace.ts';

// Where a conditional replace is atomic, kit/versioned.ts changes a document with one write
// (kit/guarded-replace.ts). On FerretDB that holds only with the guard of the embedded
// PostgreSQL: FerretDB checks the filter, then writes by `_id`.

const embeddedDb = inject('embeddedDb');
const dbs = new TestDatabases();
let db: Db;
beforeAll(async () => {
  db = await dbs.create('guarded_replace');
});
afterAll(() => dbs.cleanup());

interface Doc {
  _id: string;
  n: number;
  rev?: string;
  revOf?: string | null;
}

describe('guarded replaces', () => {
  it('are found where the database makes them atomic: MongoDB and the embedded PostgreSQL, not SQLite', async () => {
    expect(await replacesAreGuarded(db)).toBe(embeddedDb !== 'sqlite');
  });

  it.skipIf(embeddedDb === 'sqlite')('of many writers replacing one revision at once, exactly one lands; the others are told', async () => {
    const docs = db.collection<Doc>('race');
    for (let round = 0; round < 5; round++) {
      const _id = `doc${round}`;
      const rev = newRevision();
      await docs.insertOne({ _id, n: 0, rev });
      const outcomes = await Promise.all(
        Array.from({ length: 12 }, async (_, writer) => {
          try {
            const { matchedCount } = await docs.replaceOne({ _id, rev }, { n: writer + 1, rev: newRevision(), revOf: rev });
            return matchedCount > 0 ? { landed: writer + 1 } : { missed: true };
          } catch (error) {
            if (isReplaceConflict(error)) return { refused: true };
            throw error;
          }
        }),
      );
      const landed = outcomes.flatMap((outcome) => ('landed' in outcome ? [outcome.landed] : []));
      expect(landed, JSON.stringify(outcomes)).toHaveLength(1);
      expect((await docs.findOne({ _id }))?.n).toBe(landed[0]);
    }
  });

  it.skipIf(embeddedDb === 'sqlite')('leave other writes as they were: documents without a revision, and changes that keep it', async () => {
    const docs = db.collection<Doc>('others');
    await docs.insertOne({ _id: 'plain', n: 1 });
    await docs.replaceOne({ _id: 'plain' }, { n: 2 });
    await docs.updateOne({ _id: 'plain' }, { $inc: { n: 1 } });
    expect((await docs.findOne({ _id: 'plain' }))?.n).toBe(3);

    await docs.insertOne({ _id: 'versioned', n: 1, rev: 'a' });
    await docs.replaceOne({ _id: 'versioned' }, { n: 2, rev: 'b', revOf: 'a' });
    await docs.updateOne({ _id: 'versioned' }, { $set: { n: 3 } }); // keeps rev b
    expect(await docs.findOne({ _id: 'versioned' })).toMatchObject({ n: 3, rev: 'b' });
    // Made from a revision it no longer holds: refused, and nothing changes.
    await expect(docs.replaceOne({ _id: 'versioned' }, { n: 4, rev: 'c', revOf: 'a' })).rejects.toSatisfy(isReplaceConflict);
    expect(await docs.findOne({ _id: 'versioned' })).toMatchObject({ n: 3, rev: 'b' });
  });
});
