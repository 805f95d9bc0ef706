import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { TestDatabases } from '../test/harness.ts';
import { REPLACE_CONFLICT } from './guarded-replace.ts';
import { installLookupIndexes } from './postgres-indexes.ts';

// On the embedded PostgreSQL, every index a service declares as a MongoDB index also gets a GIN
// twin that serves FerretDB's filter form (kit/postgres-indexes.ts). What shows a lookup stays
// flat as its collection grows is the plan PostgreSQL picks: an index scan, not a table scan.
// FerretDB's explain command returns that plan.

const onEmbeddedPostgres = inject('embeddedDb') === 'postgresql';
const databases = new TestDatabases();
afterAll(() => databases.cleanup());

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function nodesOf(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodesOf)];
}

describe.skipIf(!onEmbeddedPostgres)('lookup indexes on the embedded PostgreSQL', () => {
  it('serves lookups by _id and by each declared index from an index, so they stay flat as the collection grows', async () => {
    const db = await databases.create('lookup_indexes');
    const orders = db.collection<{ _id: string; customerId: string; placedAt: Date; status: string }>('orders');
    await orders.createIndex({ customerId: 1, placedAt: -1 }, { name: 'by_customer' });
    await orders.createIndex({ status: 1 }, { name: 'by_status' });

    const planFor = async (filter: Record<string, unknown>) => {
      const explained = await db.command({ explain: { find: 'orders', filter } });
      return nodesOf((explained.queryPlanner as { Plan: PlanNode }).Plan);
    };
    const docs = Array.from({ length: 5_000 }, (_, i) => ({
      _id: `o${i}`,
      customerId: `c${i % 50}`,
      placedAt: new Date(1_700_000_000_000 + i),
      status: i % 10 === 0 ? 'PLACED' : 'SHIPPED',
    }));
    for (let i = 0; i < docs.length; i += 1000) await orders.insertMany(docs.slice(i, i + 1000));

    for (const filter of [{ _id: 'o7' }, { customerId: 'c7' }]) {
      const nodes = await planFor(filter);
      expect(nodes.map((node) => node['Node Type']), `plan for ${JSON.stringify(filter)}`).not.toContain('Seq Scan');
      expect(nodes.some((node) => /_gin_/.test(node['Index Name'] ?? ''))).toBe(true);
    }
    expect(await orders.countDocuments({ customerId: 'c7' })).toBe(100);
  });

  it('also covers collections created at run time, without any index declared', async () => {
    const db = await databases.create('lookup_indexes_runtime');
    const segment = db.collection<{ _id: string }>('log_17');
    await segment.insertMany(Array.from({ length: 2_000 }, (_, i) => ({ _id: String(i).padStart(15, '0') })));
    const explained = await db.command({ explain: { find: 'log_17', filter: { _id: '000000000000042' } } });
    const nodes = nodesOf((explained.queryPlanner as { Plan: PlanNode }).Plan);
    expect(nodes.map((node) => node['Node Type'])).not.toContain('Seq Scan');
  });

  it("keeps FerretDB's non-unique btrees empty, as its filters never read them, and its unique ones whole", async () => {
    const db = await databases.create('lookup_indexes_sizes');
    const items = db.collection<{ _id: string; status: string; serial: number }>('items');
    await items.createIndex({ status: 1 }, { name: 'by_status' });
    await items.createIndex({ serial: 1 }, { name: 'by_serial', unique: true });
    await items.insertMany(Array.from({ length: 3_000 }, (_, i) => ({ _id: `i${i}`, status: i % 2 ? 'OPEN' : 'DONE', serial: i })));
    const sizes = async () => (await db.command({ collStats: 'items' })).indexSizes as Record<string, number>;

    // An empty btree is its metapage alone; one of 3,000 entries is many times that.
    expect((await sizes()).by_status).toBeLessThanOrEqual(8192);
    expect((await sizes()).by_serial).toBeGreaterThan(64 * 1024);
    // What the indexes are for still holds: lookups by status, and both unique keys refused twice.
    expect(await items.countDocuments({ status: 'OPEN' })).toBe(1_500);
    await expect(items.insertOne({ _id: 'again', status: 'OPEN', serial: 7 })).rejects.toMatchObject({ code: 11000 });
    await expect(items.insertOne({ _id: 'i7', status: 'OPEN', serial: 9_999 })).rejects.toMatchObject({ code: 11000 });
    expect(await items.countDocuments()).toBe(3_000);
    // FerretDB's own bookkeeping is as it was: the index is listed, dropped, and declared again.
    expect((await items.listIndexes().toArray()).map((index) => index.name).sort()).toEqual(['_id_', 'by_serial', 'by_status']);
    await items.dropIndex('by_status');
    expect((await items.listIndexes().toArray()).map((index) => index.name).sort()).toEqual(['_id_', 'by_serial']);
    await items.createIndex({ status: 1 }, { name: 'by_status' });
    expect((await sizes()).by_status).toBeLessThanOrEqual(8192);
    expect(await items.countDocuments({ status: 'DONE' })).toBe(1_500);
  });

  it('brings the indexes of a cluster made by an earlier version into line when it starts again', async () => {
    // A database of its own: the trigger and its functions live per database, so nothing else
    // in the shared test cluster is touched, and the indexes below are made without the trigger.
    const name = `lookup_upgrade_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: inject('postgresUrl') });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(inject('postgresUrl'));
    url.pathname = `/${name}`;
    const client = new pg.Client({ connectionString: url.toString() });
    try {
      await client.connect();
      // As FerretDB and an earlier version of the trigger left them: a unique `_id` btree, a
      // whole non-unique btree, and a GIN twin with PostgreSQL's default pending list.
      await client.query(`CREATE SCHEMA shop; CREATE TABLE shop.items_1a2b3c4d (_jsonb jsonb)`);
      await client.query(`CREATE UNIQUE INDEX items_1a2b3c4d__id__idx ON shop.items_1a2b3c4d ((_jsonb -> '_id'))`);
      await client.query(`CREATE INDEX items_1a2b3c4d_by_status_idx ON shop.items_1a2b3c4d ((_jsonb -> 'status'))`);
      await client.query(`CREATE INDEX items_1a2b3c4d_by_bin_idx ON shop.items_1a2b3c4d ((_jsonb -> 'bin'), (_jsonb -> 'at') DESC)`);
      const twin = (
        await client.query<{ twin: string }>(
          `SELECT 'items_1a2b3c4d_gin_' || left(md5(pg_get_indexdef('shop.items_1a2b3c4d_by_status_idx'::regclass, 1, false)), 12) AS twin`,
        )
      ).rows[0]!.twin;
      await client.query(`CREATE INDEX ${twin} ON shop.items_1a2b3c4d USING gin ((_jsonb -> 'status') jsonb_path_ops)`);
      await client.query(`INSERT INTO shop.items_1a2b3c4d SELECT jsonb_build_object('_id', 'i' || n, 'status', 'OPEN') FROM generate_series(1, 500) n`);
      await client.query('CREATE EXTENSION pgstattuple');
      const pendingPages = async () =>
        Number((await client.query<{ pages: string }>(`SELECT pending_pages AS pages FROM pgstatginindex('shop.${twin}'::regclass)`)).rows[0]!.pages);
      expect(await pendingPages()).toBeGreaterThan(0);

      await installLookupIndexes(client);
      await installLookupIndexes(client); // every start runs it: twice changes nothing more

      const indexes = await client.query<{ name: string; method: string; unique: boolean; predicate: string | null; options: string[] | null }>(
        `SELECT c.relname AS name, am.amname AS method, i.indisunique AS unique, pg_get_expr(i.indpred, i.indrelid) AS predicate, c.reloptions AS options
           FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
          WHERE i.indrelid = 'shop.items_1a2b3c4d'::regclass`,
      );
      const described = indexes.rows.map(({ name, ...rest }) => ({ ...rest, twin: name.includes('_gin_') }));
      expect(described.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual([
        { method: 'btree', unique: false, predicate: 'false', options: null, twin: false },
        { method: 'btree', unique: false, predicate: 'false', options: null, twin: false },
        { method: 'btree', unique: true, predicate: null, options: null, twin: false },
        { method: 'gin', unique: false, predicate: null, options: ['fastupdate=off'], twin: true },
        { method: 'gin', unique: false, predicate: null, options: ['fastupdate=off'], twin: true },
        { method: 'gin', unique: false, predicate: null, options: ['fastupdate=off'], twin: true },
      ]);
      expect(indexes.rows.map((row) => row.name)).toContain(twin);
      // What the twin had queued is in the index now; the emptied btree keeps its definition.
      expect(await pendingPages()).toBe(0);
      const bin = await client.query<{ definition: string }>(`SELECT pg_get_indexdef('shop.items_1a2b3c4d_by_bin_idx'::regclass) AS definition`);
      expect(bin.rows[0]!.definition).toMatch(/\(_jsonb -> 'bin'::text\)\), \(\(_jsonb -> 'at'::text\)\) DESC\) WHERE false$/);

      // The table made before the guard existed has it now, once (kit/guarded-replace.ts).
      const guards = await client.query(`SELECT 1 FROM pg_trigger WHERE tgrelid = 'shop.items_1a2b3c4d'::regclass AND tgname = 'ferretdb_guard_replace'`);
      expect(guards.rowCount).toBe(1);
      const replace = (revOf: string, rev: string) =>
        client.query(`UPDATE shop.items_1a2b3c4d SET _jsonb = jsonb_build_object('_id', 'i1', 'rev', $2::text, 'revOf', $1::text) WHERE _jsonb -> '_id' = '"i1"'`, [revOf, rev]);
      await client.query(`UPDATE shop.items_1a2b3c4d SET _jsonb = _jsonb || '{"rev": "r0"}' WHERE _jsonb -> '_id' = '"i1"'`);
      await replace('r0', 'r1');
      await expect(replace('r0', 'r2')).rejects.toThrow(REPLACE_CONFLICT);
    } finally {
      await client.end().catch(() => {});
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  });
});
