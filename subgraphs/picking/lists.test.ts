import { afterAll, describe, expect, it } from 'vitest';
import { pageRequest } from '../../kit/paging.ts';
import { TestDatabases } from '../../test/harness.ts';
import { PickingStore, type PicklistDoc } from './store.ts';

// Released picklists grow with each centre's history, so on FerretDB's PostgreSQL handler their
// lists are read a time slot at a time (kit/slot-lists.ts): every centre's and each centre's own.

const dbs = new TestDatabases();
afterAll(() => dbs.cleanup());

const HOUR = 3_600_000;

async function listed(store: PickingStore, distributionCenter?: string): Promise<string[]> {
  const ids: string[] = [];
  let after: string | null = null;
  for (;;) {
    const page = await store.released({ distributionCenter }, pageRequest('picklists', { first: 3, after }));
    ids.push(...page.edges.map((edge) => edge.node._id));
    if (!page.pageInfo.hasNextPage) return ids;
    after = page.pageInfo.endCursor;
  }
}

describe('lists of released picklists', () => {
  it('hold every released picklist, newest first, of every centre and of each', async () => {
    const store = new PickingStore(await dbs.create('picking_lists'));
    await store.ensureIndexes();
    const now = Date.now();
    const made: PicklistDoc[] = [];
    for (let i = 0; i < 14; i++) {
      const picklist: PicklistDoc = {
        _id: `pl-${String(i).padStart(2, '0')}`,
        distributionCenter: i % 2 ? 'LHR1' : 'FRA1',
        shippingMethod: 'STANDARD',
        status: 'PENDING',
        shipmentIds: [],
        orderIds: [],
        reason: 'MAX_WAIT',
        // Hours and days apart, two in one slot.
        createdAt: new Date(now - (i === 3 ? 2 : i) * 29 * HOUR - i * 1_000),
        releasedAt: null,
      };
      made.push(await store.createPending(picklist));
    }
    // Every third is still pending; one released with no shipments left is dropped.
    const released = made.filter((_, i) => i % 3 !== 0 && i !== 7);
    for (const picklist of released) await store.release(picklist, [`s-${picklist._id}`], [`o-${picklist._id}`]);
    await store.release(made[7]!, [], []);

    const newestFirst = (picklists: PicklistDoc[]) =>
      [...picklists].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (b._id < a._id ? -1 : 1)).map((picklist) => picklist._id);
    expect(await listed(store)).toEqual(newestFirst(released));
    expect(await listed(store, 'LHR1')).toEqual(newestFirst(released.filter((picklist) => picklist.distributionCenter === 'LHR1')));
    expect(await listed(store, 'FRA1')).toEqual(newestFirst(released.filter((picklist) => picklist.distributionCenter === 'FRA1')));
    expect(await listed(store, 'NOWHERE')).toEqual([]);
  });
});
