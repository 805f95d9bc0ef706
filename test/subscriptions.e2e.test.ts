import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demo } from '../subgraphs/demo-data.ts';
import { gql, TestDatabases } from './harness.ts';
import { collect, wsClient } from './subscriber.ts';
import { eventually, startSystem, type RunningSystem } from './system.ts';

const dbs = new TestDatabases();
let system: RunningSystem;

beforeAll(async () => {
  system = await startSystem(dbs);
});
afterAll(async () => {
  await system?.close();
  await dbs.cleanup();
});

async function place(lines: { sku: string; quantity: number }[]) {
  const res = await gql(system.gatewayUrl, `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`, {
    input: { customerId: demo.customers.ada, paymentMethodId: 'p00000000000000000000001', lines },
  });
  expect(res.errors).toBeUndefined();
  return res.data!.placeOrder.id as string;
}

const followOrder = `subscription($orderId: ID!, $after: String) {
  orderTransitions(orderId: $orderId, after: $after) {
    cursor
    transition { id elementType from to node }
    order { id status customer { name } }
    shipment { id carrier trackingNumber }
  }
}`;
type OrderEvent = {
  orderTransitions: {
    cursor: string;
    transition: { id: string; elementType: string; from: string | null; to: string; node: string };
    order: { id: string; status: string; customer: { name: string } | null } | null;
    shipment: { id: string; carrier: string; trackingNumber: string } | null;
  };
};
const historyOf = async (id: string) =>
  (await gql(system.gatewayUrl, `query($id: ID!) { order(id: $id) { history { id to cursor } } }`, { id })).data!.order.history as { id: string; to: string; cursor: string }[];
const shipped = (events: OrderEvent[]) => events.some((e) => e.orderTransitions.transition.to === 'SHIPPED');

describe('subscriptions at the gateway', () => {
  it('delivers every transition of a journey in order, with fields composed from other subgraphs', async () => {
    const client = wsClient(system.gatewayUrl);
    try {
      const id = await place([{ sku: 'MUG-001', quantity: 1 }]);
      // From the start of the log: what was recorded before subscribing comes first, then live events.
      const sub = collect<OrderEvent>(client, followOrder, { orderId: id, after: '0' });
      await sub.until((c) => shipped(c.events));
      const events = sub.events.map((e) => e.orderTransitions);
      const history = await historyOf(id);
      expect(events.map((e) => e.transition.id)).toEqual([...history].sort((a, b) => Number(a.cursor) - Number(b.cursor)).map((t) => t.id));
      const cursors = events.map((e) => Number(e.cursor));
      expect(cursors).toEqual([...cursors].sort((a, b) => a - b));
      expect(events.every((e) => e.order?.id === id && e.order.customer?.name === 'Ada Lovelace')).toBe(true);
      const last = events.at(-1)!;
      expect(last.transition).toMatchObject({ elementType: 'SHIPMENT', to: 'SHIPPED', node: 'shipping' });
      expect(last.shipment?.trackingNumber).toMatch(/\w{6,}/);
      expect(events.filter((e) => e.transition.elementType === 'ORDER').every((e) => e.shipment === null)).toBe(true);
      sub.stop();
    } finally {
      await client.dispose();
    }
  });

  it('resumes from the last cursor after a disconnect without losing or repeating anything', async () => {
    await system.stopWorkers('shipping');
    const id = await place([{ sku: 'BOOK-001', quantity: 1 }]);
    const first = wsClient(system.gatewayUrl);
    const before = collect<OrderEvent>(first, followOrder, { orderId: id, after: '0' });
    await before.until((c) => c.events.some((e) => e.orderTransitions.transition.to === 'SHIPPING'));
    await first.dispose(); // the connection drops; the journey goes on without it
    system.addWorker('shipping');
    await eventually(() => historyOf(id), (h) => h.some((t) => t.to === 'SHIPPED'), 20_000);

    const second = wsClient(system.gatewayUrl);
    try {
      const lastCursor = before.events.at(-1)!.orderTransitions.cursor;
      const after = collect<OrderEvent>(second, followOrder, { orderId: id, after: lastCursor });
      await after.until((c) => shipped(c.events));
      const ids = [...before.events, ...after.events].map((e) => e.orderTransitions.transition.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect([...ids].sort()).toEqual((await historyOf(id)).map((t) => t.id).sort());
      after.stop();
    } finally {
      await second.dispose();
    }
  });
});
