import { ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demo } from '../subgraphs/demo-data.ts';
import { RESTOCKED } from '../subgraphs/orders/coordinator.ts';
import { serviceClients } from '../pipeline/services.ts';
import { DEFAULT_STOCK_WAIT_MS } from '../subgraphs/orders/env.ts';
import { settleOrdersWaitingForStock } from '../subgraphs/orders/restocked.ts';
import { gql, silentLogger, testCredentials, TestDatabases, userToken } from './harness.ts';
import { eventually, startSystem, type RunningSystem } from './system.ts';

// An order that found too little stock ships by itself once stock comes in, through the gateway:
// nobody retries its exception. The orders worker looks every half second here (30 s deployed).

const dbs = new TestDatabases();
let system: RunningSystem;
let ada: string;

beforeAll(async () => {
  system = await startSystem(dbs, { restockCheckEveryMs: 500 });
  ada = await userToken({ role: 'customer', customerId: demo.customers.ada });
});
afterAll(async () => {
  await system?.close();
  await dbs.cleanup();
});

interface OrderView {
  status: string;
  exceptions: { status: string; resolution: string | null }[];
  history: { from: string | null; to: string }[];
}

const orderOf = async (id: string): Promise<OrderView> => {
  const res = await gql(system.gatewayUrl, `query($id: ID!) { order(id: $id) { status exceptions { status resolution } history { from to } } }`, { id }, { token: ada });
  expect(res.errors).toBeUndefined();
  return res.data!.order;
};

const available = async (sku: string) => (await gql(system.gatewayUrl, `query($sku: String!) { product(sku: $sku) { stock { available } } }`, { sku })).data!.product.stock.available as number;

async function restock(sku: string, units: number): Promise<void> {
  const res = await gql(system.gatewayUrl, `mutation($input: AdjustStockInput!) { adjustStock(input: $input) { quantity } }`, { input: { sku, distributionCenter: 'FRA1', bin: 'D-04', delta: units } });
  expect(res.errors).toBeUndefined();
}

async function waitingForStock(sku: string, quantity: number): Promise<string> {
  const placed = await gql(system.gatewayUrl, `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`, {
    input: { customerId: demo.customers.ada, paymentMethodId: 'p00000000000000000000001', lines: [{ sku, quantity }] },
  }, { token: ada });
  expect(placed.errors).toBeUndefined();
  const id = placed.data!.placeOrder.id as string;
  await eventually(() => orderOf(id), (order) => order.status === 'OUT_OF_STOCK' && order.exceptions.length === 1, 15_000);
  return id;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('an order waiting for stock', () => {
  it('waits, in the one exception it has, while what comes in does not cover it, and ships once it does: its exception closed', async () => {
    const id = await waitingForStock('LAMP-001', (await available('LAMP-001')) + 4);

    await restock('LAMP-001', 2);
    await pause(2_000); // four looks: each finds it short
    const short = await orderOf(id);
    expect(short.status).toBe('OUT_OF_STOCK');
    expect(short.exceptions).toEqual([{ status: 'OPEN', resolution: null }]);

    await restock('LAMP-001', 2);
    const shipped = await eventually(() => orderOf(id), (order) => order.status === 'SHIPPED' && order.exceptions[0]?.status !== 'OPEN', 20_000);
    expect(shipped.exceptions).toEqual([{ status: 'RESOLVED', resolution: RESTOCKED }]);
    expect(shipped.history.filter((move) => move.from === 'OUT_OF_STOCK')).toEqual([{ from: 'OUT_OF_STOCK', to: 'PICKING' }]);
    expect(await available('LAMP-001')).toBe(0);
  });

  it("keeps an open exception when a person's retry and the automatic one meet and the stock is gone again", async () => {
    // The orders worker is stopped, and the test makes its restock pass itself, so that both
    // retries wait in the queue together, deterministically.
    const id = await waitingForStock('MUG-001', (await available('MUG-001')) + 2);
    const [exception] = (await gql(system.gatewayUrl, `query($id: ID!) { order(id: $id) { exceptions { id } } }`, { id })).data!.order.exceptions as { id: string }[];
    await system.stopWorkers('orders');
    const clients = serviceClients(testCredentials('orders'), system.urls);
    try {
      await restock('MUG-001', 2);
      expect(await settleOrdersWaitingForStock(system.ordersStore, clients.get('inventory')!, silentLogger, { stockWaitMs: DEFAULT_STOCK_WAIT_MS })).toEqual({ cancelled: 0, retried: 1 });
      const retried = await gql(system.gatewayUrl, `mutation($id: ID!) { retryException(id: $id) { status } }`, { id: exception!.id });
      expect(retried.data!.retryException.status).toBe('RETRIED');
      await restock('MUG-001', -2); // gone again before either runs
    } finally {
      await clients.close();
      system.addWorker('orders');
    }
    // The person's retry finds it short and raises a new exception, as any retry does: support still sees it.
    const waiting = await eventually(() => orderOf(id), (order) => order.exceptions.length === 2 && order.exceptions.some((e) => e.status === 'OPEN'), 15_000);
    expect(waiting.status).toBe('OUT_OF_STOCK');
    expect(waiting.exceptions.filter((e) => e.status === 'OPEN')).toHaveLength(1);
  });

  it('gets stock before the orders that came after it, and the one left waiting can still be cancelled', async () => {
    const quantity = (await available('BOOK-002')) + 3;
    const older = await waitingForStock('BOOK-002', quantity);
    const newer = await waitingForStock('BOOK-002', quantity);

    await restock('BOOK-002', 3); // enough for one of them
    await eventually(() => orderOf(older), (order) => order.status === 'SHIPPED', 20_000);
    await pause(1_500);
    expect((await orderOf(newer)).status).toBe('OUT_OF_STOCK');

    const cancelled = await gql(system.gatewayUrl, `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { status } }`, { input: { orderId: newer, reason: 'too slow', idempotencyKey: `restock-${newer}` } }, { token: ada });
    expect(cancelled.data!.cancelOrder.status).toBe('CANCELLED');
    expect((await orderOf(newer)).status).toBe('CANCELLED');
  });
});

describe('an order that waits too long for stock', () => {
  const DAY = 24 * 3_600_000;
  interface Settled {
    status: string;
    waitForStockUntil: string | null;
    total: { amount: number };
    cancellation: { reason: string; status: string } | null;
    refunds: { status: string; amount: { amount: number } }[];
    exceptions: { status: string; resolution: string | null }[];
    history: { from: string | null; to: string }[];
  }
  const settledOf = async (id: string): Promise<Settled> => {
    const res = await gql(
      system.gatewayUrl,
      `query($id: ID!) { order(id: $id) { status waitForStockUntil total { amount } cancellation { reason status } refunds { status amount { amount } } exceptions { status resolution } history { from to } } }`,
      { id },
      { token: ada },
    );
    expect(res.errors).toBeUndefined();
    return res.data!.order;
  };

  it('shows until when it waits, and is then cancelled and refunded in full, its exception closed; stock that came in short of it stays for others', async () => {
    const before = Date.now();
    const id = await waitingForStock('LAMP-001', (await available('LAMP-001')) + 3);
    const waiting = await settledOf(id);
    // 14 days after it ran short, by default.
    expect(Date.parse(waiting.waitForStockUntil!)).toBeGreaterThanOrEqual(before + 14 * DAY);
    expect(Date.parse(waiting.waitForStockUntil!)).toBeLessThanOrEqual(Date.now() + 14 * DAY);

    await system.stopWorkers('orders');
    const clients = serviceClients(testCredentials('orders'), system.urls);
    try {
      // Some stock comes in, not enough for it.
      await restock('LAMP-001', 2);
      const pass = (now: Date) => settleOrdersWaitingForStock(system.ordersStore, clients.get('inventory')!, silentLogger, { stockWaitMs: DEFAULT_STOCK_WAIT_MS, now });
      // (An order an earlier test left waiting, earlier, is past its time too.)
      expect(await pass(new Date(Date.parse(waiting.waitForStockUntil!) + 1_000))).toMatchObject({ retried: 0 });
      expect((await settledOf(id)).status).toBe('CANCELLED');
      expect(await pass(new Date(Date.parse(waiting.waitForStockUntil!) + 2_000))).toEqual({ cancelled: 0, retried: 0 });
    } finally {
      await clients.close();
      system.addWorker('orders');
    }
    const cancelled = await eventually(() => settledOf(id), (order) => order.refunds.length > 0 && order.refunds.every((r) => r.status === 'REFUNDED') && order.exceptions[0]?.status !== 'OPEN', 20_000);
    expect(cancelled).toMatchObject({ status: 'CANCELLED', waitForStockUntil: null, cancellation: { reason: 'no stock came in within 14 days', status: 'CANCELLED' } });
    expect(cancelled.refunds.map((refund) => refund.amount.amount)).toEqual([cancelled.total.amount]);
    expect(cancelled.exceptions).toEqual([{ status: 'CANCELLED', resolution: expect.stringContaining('the order was cancelled') }]);
    expect(cancelled.history).toContainEqual({ from: 'OUT_OF_STOCK', to: 'CANCELLED' });
    expect(await available('LAMP-001')).toBeGreaterThanOrEqual(2);
  });

  it('is retried, not cancelled, when stock that covers it came in just before its time, and the pass that sees it comes after', async () => {
    const id = await waitingForStock('BOOK-002', (await available('BOOK-002')) + 1);
    const until = Date.parse((await settledOf(id)).waitForStockUntil!);
    await system.stopWorkers('orders');
    const clients = serviceClients(testCredentials('orders'), system.urls);
    try {
      await restock('BOOK-002', 1);
      const pass = await settleOrdersWaitingForStock(system.ordersStore, clients.get('inventory')!, silentLogger, { stockWaitMs: DEFAULT_STOCK_WAIT_MS, now: new Date(until + 20_000) });
      expect(pass.retried).toBeGreaterThanOrEqual(1);
    } finally {
      await clients.close();
      system.addWorker('orders');
    }
    const shipped = await eventually(() => settledOf(id), (order) => order.status === 'SHIPPED', 20_000);
    expect(shipped.cancellation).toBeNull();
    expect(shipped.refunds).toEqual([]);
    expect(shipped.exceptions).toEqual([{ status: 'RESOLVED', resolution: RESTOCKED }]);
  });

  it('before its time, ships when stock comes in; an order that ran short before the time was kept gets one from when it did', async () => {
    const id = await waitingForStock('MUG-001', (await available('MUG-001')) + 1);
    const shortAt = Date.parse((await settledOf(id)).waitForStockUntil!) - 14 * DAY;
    // As an earlier version stored it: no waitForStockUntil.
    await system.ordersStore.orders.updateOne({ _id: new ObjectId(id) }, { $unset: { waitForStockUntil: '' } });
    await eventually(() => settledOf(id), (order) => order.waitForStockUntil !== null, 10_000);
    const given = Date.parse((await settledOf(id)).waitForStockUntil!);
    expect(Math.abs(given - (shortAt + 14 * DAY))).toBeLessThan(5_000);

    await restock('MUG-001', 1);
    const shipped = await eventually(() => settledOf(id), (order) => order.status === 'SHIPPED', 20_000);
    expect(shipped.waitForStockUntil).toBeNull();
    expect(shipped.cancellation).toBeNull();
  });
});
