import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { TestDatabases } from '../test/harness.ts';

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
});
