import { afterAll, describe, expect, it } from 'vitest';
import { pageRequest } from '../../kit/paging.ts';
import { TestDatabases } from '../../test/harness.ts';
import { storeTestOrder } from './service-alone.ts';
import { OrderStore, type OrderDoc, type OrderStatusCode } from './store.ts';

// The staff's lists of orders (every order, or those SHIPPED or CANCELLED) grow with the business,
// so on FerretDB's PostgreSQL handler they are read a time slot at a time (kit/slot-lists.ts). An order
// moved into one of them, by whichever process, is in it.

const dbs = new TestDatabases();
afterAll(() => dbs.cleanup());

const HOUR = 3_600_000;

async function listed(store: OrderStore, status?: OrderStatusCode, customerId?: string): Promise<string[]> {
  const ids: string[] = [];
  let after: string | null = null;
  for (;;) {
    const page = await store.list({ status, customerId }, pageRequest('orders', { first: 4, after }));
    ids.push(...page.edges.map((edge) => edge.node._id.toHexString()));
    if (!page.pageInfo.hasNextPage) return ids;
    after = page.pageInfo.endCursor;
  }
}

describe('lists of orders that grow with the business', () => {
  it('hold the orders moved into them by another process, however long after they were placed', async () => {
    const db = await dbs.create('orders_lists');
    // Two processes of the orders service (the service and its worker), each remembering what it noted.
    const placing = new OrderStore(db);
    await placing.ensureIndexes();
    const moving = new OrderStore(db);
    const now = Date.now();
    const orders: OrderDoc[] = [];
    for (let i = 0; i < 10; i++) {
      // Placed days apart, each alone in its slot and in its spans.
      orders.push(await storeTestOrder(placing, { status: 'PICKING', stage: 'picking', placedAt: new Date(now - (i + 1) * 49 * HOUR) }));
    }
    expect(await listed(placing, 'SHIPPED')).toEqual([]);
    expect(await listed(placing, 'CANCELLED')).toEqual([]);

    for (const [i, order] of orders.entries()) {
      const to: OrderStatusCode = i % 3 === 0 ? 'CANCELLED' : 'SHIPPED';
      const moved = await moving.change(order._id, () => ({ status: to, transition: { detail: null } }));
      expect(moved?.status).toBe(to);
    }
    const ids = (wanted: (i: number) => boolean) => orders.filter((_, i) => wanted(i)).map((order) => order._id.toHexString());
    expect(await listed(placing, 'CANCELLED')).toEqual(ids((i) => i % 3 === 0));
    expect(await listed(placing, 'SHIPPED')).toEqual(ids((i) => i % 3 !== 0));
    expect(await listed(placing)).toEqual(ids(() => true));
  });

  it('keep an order its slot when a change starts from the order as it was inserted', async () => {
    const store = new OrderStore(await dbs.create('orders_lists_known'));
    await store.ensureIndexes();
    const order = await storeTestOrder(store, { status: 'PICKING', stage: 'picking' });
    const changed = await store.change(order._id, () => ({ status: 'SHIPPED', transition: { detail: null } }), order);
    expect(changed?.placedSlot).toBe(Math.floor(order.placedAt.getTime() / 15_000));
    expect((await store.findById(order._id))?.placedSlot).toBe(changed?.placedSlot);
    expect(await listed(store, 'SHIPPED')).toEqual([order._id.toHexString()]);
  });

  it("give a customer every order of theirs once, newest first, and no one else's", async () => {
    const db = await dbs.create('orders_lists_customer');
    const placing = new OrderStore(db);
    await placing.ensureIndexes();
    const [ada, grace] = ['64b000000000000000000001', '64b000000000000000000002'];
    const now = Date.now();
    const orders: OrderDoc[] = [];
    // Some a day apart, some within one day, some at the same moment; the two customers' interleaved.
    for (let i = 0; i < 24; i++) {
      const placedAt = new Date(now - Math.floor(i / 3) * 26 * HOUR - (i % 3 === 2 ? 0 : (i % 3) * 60_000));
      orders.push(await storeTestOrder(placing, { status: i % 5 === 0 ? 'SHIPPED' : 'PICKING', stage: 'picking', customerId: i % 4 === 3 ? grace : ada, placedAt }));
    }
    const newestFirst = (customerId: string, status?: OrderStatusCode) =>
      orders
        .filter((order) => order.customerId === customerId && (!status || order.status === status))
        .sort((a, b) => b.placedAt.getTime() - a.placedAt.getTime() || b._id.toHexString().localeCompare(a._id.toHexString()))
        .map((order) => order._id.toHexString());
    // Another process of the service (its worker) reads the same lists.
    const reading = new OrderStore(db);
    for (const store of [placing, reading]) {
      expect(await listed(store, undefined, ada)).toEqual(newestFirst(ada));
      expect(await listed(store, undefined, grace)).toEqual(newestFirst(grace));
      expect(await listed(store, 'SHIPPED', ada)).toEqual(newestFirst(ada, 'SHIPPED'));
    }
    expect(await listed(reading, undefined, '64b000000000000000000003')).toEqual([]);
  });
});
