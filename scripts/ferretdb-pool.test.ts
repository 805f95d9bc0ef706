import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresConnectionsFor, startFerretDb } from './ferretdb.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'ferretdb-pool-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("the embedded FerretDB's connections to PostgreSQL", () => {
  it('are never all held by updates waiting for one more: as many updates at once as its clients can send, and an index created meanwhile, all finish', async () => {
    // FerretDB 1.24 holds two connections for an update, and waits for a connection without a
    // deadline: a pool of 20 froze for good under 40 updates at once, every time it was tried.
    const clients = 60;
    expect(postgresConnectionsFor(clients)).toBeGreaterThan(2 * clients);
    const database = await startFerretDb({ dataDir, handler: 'postgresql', clientConnections: clients });
    const client = new MongoClient(database.uri, { maxPoolSize: clients });
    try {
      const docs = client.db('pool').collection<{ _id: number; n: number }>('docs');
      await docs.insertMany(Array.from({ length: clients }, (_, i) => ({ _id: i, n: 0 })));
      const updates = Promise.all(
        Array.from({ length: clients - 1 }, async (_, i) => {
          for (let n = 1; n <= 20; n++) await docs.updateOne({ _id: i }, { $set: { n } });
        }),
      );
      // A collection and an index created while they run (FerretDB takes its catalogue's lock for those).
      await client.db('pool').collection('created_meanwhile').createIndex({ field: 1 });
      await updates;
      expect(await docs.countDocuments({ n: 20 })).toBe(clients - 1);
    } finally {
      await client.close();
      await database.stop();
    }
  }, 120_000);
});
