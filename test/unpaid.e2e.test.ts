import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demo } from '../subgraphs/demo-data.ts';
import { claimUnpaidOrders } from '../subgraphs/orders/unpaid.ts';
import { codes, gql, silentLogger, TestDatabases, userToken } from './harness.ts';
import { eventually, startSystem, type RunningSystem } from './system.ts';

// A declined order its customer never pays again is cancelled at the time it showed her
// (`payBy`), through the gateway: here 3 seconds after the decline instead of 72 hours.

const PAY_WITHIN_MS = 3_000;
const dbs = new TestDatabases();
let system: RunningSystem;
let ada: string;

beforeAll(async () => {
  system = await startSystem(dbs, { payWithinMs: PAY_WITHIN_MS });
  ada = await userToken({ role: 'customer', customerId: demo.customers.ada });
});
afterAll(async () => {
  await system?.close();
  await dbs.cleanup();
});

const card = { visa: 'p00000000000000000000001', declined: 'p00000000000000000000004' };

interface OrderView {
  status: string;
  payBy: string | null;
  charge: { outcome: string } | null;
  cancellation: { reason: string; status: string; refundAmount: unknown } | null;
  exceptions: { status: string; resolution: string | null }[];
  history: { from: string | null; to: string }[];
}

const orderOf = async (id: string): Promise<OrderView> => {
  const res = await gql(
    system.gatewayUrl,
    `query($id: ID!) { order(id: $id) { status payBy charge { outcome } cancellation { reason status refundAmount { amount } } exceptions { status resolution } history { from to } } }`,
    { id },
    { token: ada },
  );
  expect(res.errors).toBeUndefined();
  return res.data!.order;
};

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function declinedOrder(): Promise<{ id: string; declined: OrderView; seenAt: number }> {
  const placed = await gql(system.gatewayUrl, `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`, {
    input: { customerId: demo.customers.ada, paymentMethodId: card.declined, lines: [{ sku: 'BOOK-001', quantity: 1 }] },
  }, { token: ada });
  expect(placed.errors).toBeUndefined();
  const id = placed.data!.placeOrder.id as string;
  const declined = await eventually(() => orderOf(id), (order) => order.status === 'PAYMENT_DECLINED' && order.exceptions.length === 1, 10_000);
  return { id, declined, seenAt: Date.now() };
}

describe('a declined order nobody pays again', () => {
  it('shows its customer when it must be paid by, and is cancelled then: its exception closed, nothing refunded, payOrder refused', async () => {
    const { id, declined, seenAt } = await declinedOrder();
    const payBy = Date.parse(declined.payBy!);
    expect(payBy).toBeGreaterThan(seenAt - 1_000);
    expect(payBy).toBeLessThanOrEqual(seenAt + PAY_WITHIN_MS);

    // Its history is tracking's, told after the order moved: read once it has the move too.
    const cancelled = await eventually(() => orderOf(id), (order) => order.status === 'CANCELLED' && order.exceptions[0]?.status !== 'OPEN' && order.history.some((move) => move.to === 'CANCELLED'), 15_000);
    expect(Date.now()).toBeGreaterThanOrEqual(payBy);
    expect(cancelled.payBy).toBeNull();
    expect(cancelled.charge).toMatchObject({ outcome: 'DECLINED' });
    expect(cancelled.cancellation).toEqual({ reason: 'not paid within 3 seconds of the card being declined', status: 'CANCELLED', refundAmount: null });
    expect(cancelled.exceptions).toEqual([{ status: 'CANCELLED', resolution: expect.stringContaining('the order was cancelled') }]);
    expect(cancelled.history.at(-1)).toEqual({ from: 'PAYMENT_DECLINED', to: 'CANCELLED' });

    const late = await gql(system.gatewayUrl, `mutation($input: PayOrderInput!) { payOrder(input: $input) { id } }`, { input: { orderId: id, paymentMethodId: card.visa } }, { token: ada });
    expect(codes(late)).toEqual(['CONFLICT']);
    expect((await orderOf(id)).status).toBe('CANCELLED');
  });

  it('is either paid or cancelled when the payment and the expiry meet: whichever takes the next charge attempt first', async () => {
    // The orders worker is stopped here, and the test sweeps as it would (claimUnpaidOrders), so
    // that each side comes first in turn, deterministically.
    const late = await declinedOrder();
    const inTime = await declinedOrder();
    await system.stopWorkers('orders');
    try {
      await pause(PAY_WITHIN_MS + 200);
      const pay = (id: string) => gql(system.gatewayUrl, `mutation($input: PayOrderInput!) { payOrder(input: $input) { status } }`, { input: { orderId: id, paymentMethodId: card.visa } }, { token: ada });
      // Paid first (past payBy, but before the sweep): the sweep leaves it to the payment.
      expect((await pay(inTime.id)).data!.payOrder.status).toBe('CHARGING');
      expect(await claimUnpaidOrders(system.ordersStore, PAY_WITHIN_MS, silentLogger)).toBe(1); // `late` only
      // Swept first: the payment is refused, and says why.
      const refused = await pay(late.id);
      expect(codes(refused)).toEqual(['CONFLICT']);
      expect(refused.errors![0]!.message).toContain('being cancelled');
    } finally {
      system.addWorker('orders');
    }
    expect((await eventually(() => orderOf(late.id), (order) => order.status === 'CANCELLED', 15_000)).cancellation?.reason).toContain('not paid within');
    const shipped = await eventually(() => orderOf(inTime.id), (order) => order.status === 'SHIPPED', 15_000);
    expect(shipped.cancellation).toBeNull();
  });

  it('is not cancelled once paid again in time, though its old payBy passes while it ships', async () => {
    const { id } = await declinedOrder();
    const paid = await gql(system.gatewayUrl, `mutation($input: PayOrderInput!) { payOrder(input: $input) { id } }`, { input: { orderId: id, paymentMethodId: card.visa } }, { token: ada });
    expect(paid.errors).toBeUndefined();
    const shipped = await eventually(() => orderOf(id), (order) => order.status === 'SHIPPED', 15_000);
    expect(shipped.payBy).toBeNull();
    // Past the time it had, and a few sweeps later: still shipped, never cancelled.
    await pause(PAY_WITHIN_MS + 1_500);
    const later = await orderOf(id);
    expect(later.status).toBe('SHIPPED');
    expect(later.cancellation).toBeNull();
  });
});
