import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demo } from '../subgraphs/demo-data.ts';
import { codes, gql, TestDatabases, userToken } from './harness.ts';
import { eventually, startSystem, type RunningSystem } from './system.ts';

// A customer whose card was declined pays the order again with another card (payOrder), through
// the gateway, as a shop's "payment failed: choose another card" page would.

const dbs = new TestDatabases();
let system: RunningSystem;
let ada: string;
let grace: string;

beforeAll(async () => {
  system = await startSystem(dbs);
  ada = await userToken({ role: 'customer', customerId: demo.customers.ada });
  grace = await userToken({ role: 'customer', customerId: demo.customers.grace });
});
afterAll(async () => {
  await system?.close();
  await dbs.cleanup();
});

const card = { visa: 'p00000000000000000000001', expired: 'p00000000000000000000002', declined: 'p00000000000000000000004', flakyRefunds: 'p00000000000000000000006', gracesAmex: 'p00000000000000000000003' };

async function declinedOrder(): Promise<string> {
  const placed = await gql(system.gatewayUrl, `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`, {
    input: { customerId: demo.customers.ada, paymentMethodId: card.declined, lines: [{ sku: 'BOOK-001', quantity: 1 }] },
  }, { token: ada });
  expect(placed.errors).toBeUndefined();
  const id = placed.data!.placeOrder.id as string;
  await eventually(() => orderOf(id), (order) => order?.status === 'PAYMENT_DECLINED' && order.exceptions.length === 1);
  return id;
}

interface OrderView {
  status: string;
  total: { amount: number };
  charge: { outcome: string; amount: { amount: number } } | null;
  exceptions: { id: string; status: string; resolution: string | null }[];
  history: { from: string | null; to: string; detail: string | null }[];
}

const orderOf = async (id: string): Promise<OrderView | null> => {
  const res = await gql(
    system.gatewayUrl,
    `query($id: ID!) { order(id: $id) { status total { amount } charge { outcome amount { amount } } exceptions { id status resolution } history { from to detail } } }`,
    { id },
  );
  expect(res.errors).toBeUndefined();
  return res.data!.order;
};

const payOrder = (orderId: string, paymentMethodId: string, token = ada) =>
  gql(system.gatewayUrl, `mutation($input: PayOrderInput!) { payOrder(input: $input) { id status payBy paymentMethod { id } } }`, { input: { orderId, paymentMethodId } }, { token });

describe('paying a declined order again', () => {
  it("ships it on the customer's other card, closes the decline's exception, and charges once however often the call is repeated", async () => {
    const id = await declinedOrder();
    // Not Grace's order to pay; not Grace's card to pay Ada's order with; not an expired card.
    expect(codes(await payOrder(id, card.visa, grace))).toEqual(['NOT_FOUND']);
    expect(codes(await payOrder(id, card.gracesAmex))).toEqual(['NOT_FOUND']);
    expect(codes(await payOrder(id, card.expired))).toEqual(['PAYMENT_METHOD_EXPIRED']);
    expect((await orderOf(id))!.status).toBe('PAYMENT_DECLINED');

    // The same call sent eight times at once (a double click, retries): one attempt.
    const answers = await Promise.all(Array.from({ length: 8 }, () => payOrder(id, card.visa)));
    for (const answer of answers) expect(answer.errors).toBeUndefined();
    // Each answer says what was started (or, for a late copy, what came of it): never still declined, never the old card.
    for (const answer of answers) {
      expect(answer.data!.payOrder.status).not.toBe('PAYMENT_DECLINED');
      expect(answer.data!.payOrder).toMatchObject({ payBy: null, paymentMethod: { id: card.visa } });
    }
    expect(answers.map((answer) => answer.data!.payOrder.status)).toContain('CHARGING');
    const shipped = await eventually(() => orderOf(id), (order) => order?.status === 'SHIPPED');
    expect(shipped!.charge).toMatchObject({ outcome: 'APPROVED', amount: { amount: shipped!.total.amount } });
    const retries = shipped!.history.filter((move) => move.from === 'PAYMENT_DECLINED' && move.to === 'CHARGING');
    expect(retries).toEqual([expect.objectContaining({ detail: 'the customer paid again' })]);
    expect(shipped!.history.filter((move) => move.from === 'CHARGING' && move.to === 'RESERVING')).toHaveLength(1);
    // Support no longer sees it waiting.
    const closed = await eventually(() => orderOf(id), (order) => order?.exceptions[0]?.status !== 'OPEN');
    expect(closed!.exceptions).toEqual([expect.objectContaining({ status: 'RESOLVED', resolution: expect.stringContaining('the customer paid again') })]);

    // Repeated after it shipped: answered, nothing charged again; another card now is a CONFLICT.
    expect((await payOrder(id, card.visa)).data!.payOrder.status).toBe('SHIPPED');
    expect(codes(await payOrder(id, card.flakyRefunds))).toEqual(['CONFLICT']);
    // Payments was asked for two charges: the placement's (declined) and the customer's, no third.
    const requested = async (attempt: number) =>
      (await gql(system.urls.payments, `query($id: ID!) { chargeRequest(id: $id) { status } }`, { id: `${id}:charge:${attempt}` })).data!.chargeRequest;
    expect(await requested(2)).not.toBeNull();
    expect(await requested(3)).toBeNull();
    expect((await orderOf(id))!.history.filter((move) => move.to === 'CHARGING')).toHaveLength(2);
  });

  it('takes one of two different cards sent at once and refuses the other; a declined card brings the order back for another try', async () => {
    const id = await declinedOrder();
    const [first, second] = await Promise.all([payOrder(id, card.declined), payOrder(id, card.visa)]);
    const outcomes = [codes(first), codes(second)].map((list) => list.join());
    expect(outcomes.sort()).toEqual(['', 'CONFLICT']);
    const winner = codes(first).length === 0 ? 'declined' : 'visa';
    if (winner === 'declined') {
      // Declined again: a second exception, and the customer may pay once more.
      await eventually(() => orderOf(id), (order) => order?.status === 'PAYMENT_DECLINED' && order.exceptions.length === 2);
      expect((await payOrder(id, card.visa)).errors).toBeUndefined();
    }
    await eventually(() => orderOf(id), (order) => order?.status === 'SHIPPED');
  });

  it('lets the customer try until the order has had 10 attempts, and support after that', async () => {
    const id = await declinedOrder();
    for (let attempt = 2; attempt <= 10; attempt++) {
      expect((await payOrder(id, card.declined)).errors).toBeUndefined();
      await eventually(() => orderOf(id), (order) => order?.status === 'PAYMENT_DECLINED' && order.exceptions.length === attempt);
    }
    const refused = await payOrder(id, card.visa);
    expect(codes(refused)).toEqual(['CONFLICT']);
    expect(refused.errors![0]!.message).toContain('support');
    // Support (the operator token) may still take another card for it.
    const bySupport = await gql(system.gatewayUrl, `mutation($input: PayOrderInput!) { payOrder(input: $input) { id } }`, { input: { orderId: id, paymentMethodId: card.visa } });
    expect(bySupport.errors).toBeUndefined();
    await eventually(() => orderOf(id), (order) => order?.status === 'SHIPPED');
  });

  it("closes the decline's exception when the order is cancelled after it was paid again, before its charge was asked for", async () => {
    const id = await declinedOrder();
    await system.stopWorkers('orders'); // the charge step waits
    try {
      expect((await payOrder(id, card.visa)).data!.payOrder.status).toBe('CHARGING');
      const cancelled = await gql(system.gatewayUrl, `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { status } }`, { input: { orderId: id, reason: 'changed my mind', idempotencyKey: `paid-then-cancelled-${id}` } }, { token: ada });
      expect(cancelled.data!.cancelOrder.status).toBe('CANCELLED');
    } finally {
      system.addWorker('orders');
    }
    const closed = await eventually(() => orderOf(id), (order) => order?.exceptions[0]?.status !== 'OPEN', 15_000);
    expect(closed!.status).toBe('CANCELLED');
    expect(closed!.exceptions).toEqual([expect.objectContaining({ status: 'CANCELLED' })]);
    expect(closed!.charge).toMatchObject({ outcome: 'DECLINED' }); // the second attempt was never charged
  });

  /**
   * A person's action on an order's decline, decided on the order as the orders service read it,
   * with the customer paying again before the orders service writes: the interleaving a race
   * between the two gives now and then, made here every time.
   */
  async function actionBeatenByPayment(id: string, action: 'cancelException' | 'retryException') {
    const exceptionId = (await orderOf(id))!.exceptions[0]!.id;
    const store = system.ordersStore;
    const findById = store.findById.bind(store);
    let paid: Awaited<ReturnType<typeof payOrder>> | undefined;
    store.findById = async (orderId) => {
      const read = await findById(orderId);
      if (orderId.toHexString() === id && paid === undefined) {
        store.findById = findById;
        paid = await payOrder(id, card.visa);
      }
      return read;
    };
    try {
      const answer = await gql(system.gatewayUrl, `mutation($id: ID!) { ${action}(id: $id, note: "the customer asked") { status } }`, { id: exceptionId });
      return { answer, paid: paid! };
    } finally {
      store.findById = findById;
    }
  }

  for (const action of ['cancelException', 'retryException'] as const) {
    it(`keeps the payment of a customer who paid again while support's ${action} was under way, and tells support`, async () => {
      const id = await declinedOrder();
      const { answer, paid } = await actionBeatenByPayment(id, action);
      expect(paid.data?.payOrder.status).toBe('CHARGING');
      // Support is told the customer's payment came first; nothing of theirs was done.
      expect(codes(answer)).toEqual(['CONFLICT']);
      expect(answer.errors![0]!.message).toMatch(action === 'cancelException' ? /no longer waits on .*this cancel changes nothing/ : /paid order .* again meanwhile/);

      // The payment the customer was told of stands: the order ships on it, charged once, never
      // cancelled; its decline's exception closes as resolved by that payment.
      const shipped = await eventually(() => orderOf(id), (order) => ['SHIPPED', 'CANCELLED'].includes(order!.status) && order!.exceptions[0]!.status !== 'OPEN');
      expect(shipped!.status).toBe('SHIPPED');
      expect(shipped!.charge).toMatchObject({ outcome: 'APPROVED', amount: { amount: shipped!.total.amount } });
      expect(shipped!.history.map((move) => move.to)).not.toContain('CANCELLED');
      expect(shipped!.exceptions).toEqual([expect.objectContaining({ status: 'RESOLVED', resolution: expect.stringContaining('the customer paid again') })]);
    });
  }

  // What the exceptions service sends again for a person's cancel whose first request got no
  // answer (its sweep of stale claims): carried out only if that cancel is what ended the order.
  const resendCancel = (id: string, attempt = 1) =>
    gql(system.urls.orders, `mutation($id: ID!) { resolveOrdersException(queue: "charge-results", elementId: $id, action: CANCEL) }`, { id: `result:${id}:charge:${attempt}` });

  it("answers a person's cancel sent again as carried out only when that cancel ended the order, not when its customer did", async () => {
    // The person's cancel landed (its answer lost): sent again, it is carried out, once.
    const byPerson = await declinedOrder();
    expect((await resendCancel(byPerson)).errors).toBeUndefined();
    expect((await resendCancel(byPerson)).errors).toBeUndefined();
    const cancelled = await orderOf(byPerson);
    expect(cancelled!.status).toBe('CANCELLED');
    expect(cancelled!.history.filter((move) => move.to === 'CANCELLED')).toHaveLength(1);

    // The customer cancelled the order before the person's cancel arrived: not the person's doing.
    const byCustomer = await declinedOrder();
    const own = await gql(system.gatewayUrl, `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { status } }`, { input: { orderId: byCustomer, reason: 'changed my mind', idempotencyKey: `own-${byCustomer}` } }, { token: ada });
    expect(own.data!.cancelOrder.status).toBe('CANCELLED');
    const late = await resendCancel(byCustomer);
    expect(codes(late)).toEqual(['CONFLICT']);
    expect(late.errors![0]!.message).toContain('it is CANCELLED');

    // The customer paid again and the order shipped: not cancelled, and the person is told so.
    const paidAgain = await declinedOrder();
    expect((await payOrder(paidAgain, card.visa)).data!.payOrder.status).toBe('CHARGING');
    await eventually(() => orderOf(paidAgain), (order) => order?.status === 'SHIPPED');
    const afterShipping = await resendCancel(paidAgain);
    expect(codes(afterShipping)).toEqual(['CONFLICT']);
    expect((await orderOf(paidAgain))!.status).toBe('SHIPPED');
  });

  it('refuses an order that is not declined, and leaves it as it is', async () => {
    const placed = await gql(system.gatewayUrl, `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`, {
      input: { customerId: demo.customers.ada, paymentMethodId: card.visa, lines: [{ sku: 'MUG-001', quantity: 1 }] },
    }, { token: ada });
    const id = placed.data!.placeOrder.id as string;
    await eventually(() => orderOf(id), (order) => order?.status === 'SHIPPED');
    const refused = await payOrder(id, card.flakyRefunds);
    expect(codes(refused)).toEqual(['CONFLICT']);
    expect(refused.errors![0]!.message).toContain('SHIPPED');
    expect(codes(await payOrder('not-an-id', card.visa))).toEqual(['BAD_USER_INPUT']);
  });
});
