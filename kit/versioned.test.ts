import type { Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDatabases } from '../test/harness.ts';
import { REFUSED, VersionedDocuments, type Head, type HistoryEntry } from './versioned.ts';

const dbs = new TestDatabases();
let db: Db;

beforeAll(async () => {
  db = await dbs.create('versioned');
});
afterAll(() => dbs.cleanup());

let counter = 0;
async function documentsOf(options: { createHeads?: boolean; claimVersions?: boolean } = {}) {
  const n = ++counter;
  const versioned = new VersionedDocuments<{ count: number }>(db.collection<Head<{ count: number }>>(`heads${n}`), db.collection<HistoryEntry<{ count: number }>>(`history${n}`), options);
  await versioned.ensureIndexes();
  return versioned;
}

// Each test runs both ways of writing: by guarded replaces where the database makes them atomic
// (MongoDB, the embedded PostgreSQL; elsewhere these fall back to claims), and by claims.
describe.each([
  ['guarded replaces where available', false],
  ['claimed versions', true],
])('VersionedDocuments (compare-and-swap on FerretDB and MongoDB): %s', (_, claimVersions) => {
  const documents = (options: { createHeads?: boolean } = {}) => documentsOf({ ...options, claimVersions });

  it('loses no change when many writers change one document at once', async () => {
    const versioned = await documents();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 5; i++) await versioned.update('counter', (current) => ({ count: (current?.count ?? 0) + 1 }));
      }),
    );
    const head = await versioned.heads.findOne({ _id: 'counter' });
    expect(head).toMatchObject({ count: 40, version: 40 });
  });

  it('leaves the document as it is when the change refuses', async () => {
    const versioned = await documents();
    await versioned.update('stock', () => ({ count: 1 }));
    expect(await versioned.update('stock', (current) => (current!.count >= 2 ? { count: current!.count - 2 } : REFUSED))).toBe(REFUSED);
    expect(await versioned.heads.findOne({ _id: 'stock' })).toMatchObject({ count: 1, version: 1 });
  });

  it('does not bring back a document removed while a writer worked on it, when heads are made elsewhere', async () => {
    const versioned = await documents({ createHeads: false });
    await versioned.heads.insertOne({ _id: 'element', count: 0, version: 0 });
    const result = await versioned.update('element', (current) => {
      if (current) void versioned.heads.deleteOne({ _id: 'element' });
      return { count: 1 };
    });
    // Either the write landed before the removal or it is refused; the removed head never returns.
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (result !== REFUSED) expect(result.version).toBe(1);
    expect(await versioned.heads.findOne({ _id: 'element' })).toBeNull();
    expect(await versioned.heads.countDocuments()).toBe(0);
  });

  it('forgets a document history in one go (or keeps none, where replaces are guarded)', async () => {
    const versioned = await documents();
    for (let i = 0; i < 4; i++) await versioned.update('doc', (current) => ({ count: (current?.count ?? 0) + 1 }));
    await versioned.update('other', () => ({ count: 1 }));
    await versioned.dropHistory('doc');
    expect(await versioned.history.countDocuments({ key: 'doc' })).toBe(0);
    expect(await versioned.history.countDocuments({ key: 'other' })).toBe((await versioned.guarded()) ? 0 : 1);
  });
});
