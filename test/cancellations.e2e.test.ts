import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demo } from '../subgraphs/demo-data.ts';
import { codes, gql, TestDatabases, userToken } from './harness.ts';
import { collect, wsClient } from './subscriber.ts';
import { eventually, startSystem, type RunningSystem } from './system.ts';

// Customers and support cancel orders wherever they are, through the gateway. A cancellation
// travels like an asynchronous address change: orders publishes it, the stage holding each
// shipment pulls it unless it is sealed for the carrier, stock of pulled shipments goes back,
// and payments refunds what was charged for what did not ship. Every service is real.

const dbs = new TestDatabases();
let system: RunningSystem;
let asAda: string;
/** The payment processor's settings, read on every charge: a test makes charges slow. */
const processor = { latencyMs: 5, failureRate: 0 };

beforeAll(async () => {
  // Shipments wait in picking's aggregation queue long enough to be cancelled there.
  system = await startSystem(dbs, { picking: { batchSize: 50, maxWaitMs: 2_500 }, payments: processor });
  asAda = await userToken({ role: 'customer', customerId: demo.customers.ada });
});
afterAll(async () => {
  await system?.close();
  await dbs.cleanup();
});

interface Cancellation {
  id: string;
  status: string;
  reason: string;
  outcomes: { elementId: string; node: string; result: string; detail: string | null }[];
  refundAmount: { amount: number; currency: string } | null;
}
interface OrderView {
  status: string;
  total: { amount: number };
  shipmentProgress: { shipmentId: string; distributionCenter: string; status: string }[];
  cancellation: Cancellation | null;
  charge: { outcome: string; amount: { amount: number } } | null;
  refunds: { id: string; status: string; amount: { amount: number }; attempts: number; refundedAt: string | null }[];
  history: { elementType: string; from: string | null; to: string; node: string; detail: string | null }[];
  location: { state: string; node: string } | null;
}

const CANCELLATION_FIELDS = 'id status reason outcomes { elementId node result detail } refundAmount { amount currency }';

const cancel = (orderId: string, idempotencyKey: string, token?: string, reason = 'changed my mind') =>
  gql<{ cancelOrder: Cancellation }>(
    system.gatewayUrl,
    `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { ${CANCELLATION_FIELDS} } }`,
    { input: { orderId, reason, idempotencyKey } },
    token ? { token } : {},
  );

async function cancellationOf(id: string): Promise<Cancellation> {
  const res = await gql<{ cancellation: Cancellation }>(system.gatewayUrl, `query($id: ID!) { cancellation(id: $id) { ${CANCELLATION_FIELDS} } }`, { id });
  expect(res.errors).toBeUndefined();
  return res.data!.cancellation;
}

async function orderOf(id: string): Promise<OrderView> {
  const res = await gql<{ order: OrderView }>(
    system.gatewayUrl,
    `query($id: ID!) { order(id: $id) {
      status total { amount } shipmentProgress { shipmentId distributionCenter status }
      cancellation { ${CANCELLATION_FIELDS} }
      charge { outcome amount { amount } }
      refunds { id status amount { amount } attempts refundedAt }
      history { elementType from to node detail }
      location { state node }
    } }`,
    { id },
  );
  expect(res.errors).toBeUndefined();
  return res.data!.order;
}

/** Units of a sku promised to orders and not yet shipped. */
async function reserved(sku: string): Promise<number> {
  const res = await gql(system.gatewayUrl, `query($sku: String!) { product(sku: $sku) { stock { reserved } } }`, { sku });
  expect(res.errors).toBeUndefined();
  return res.data!.product.stock.reserved as number;
}

async function place(lines: { sku: string; quantity: number }[], paymentMethodId = 'p00000000000000000000001'): Promise<string> {
  const res = await gql(system.gatewayUrl, `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`, {
    input: { customerId: demo.customers.ada, paymentMethodId, lines },
  }, { token: asAda });
  expect(res.errors).toBeUndefined();
  return res.data!.placeOrder.id as string;
}

/** Waits until `stage` holds the shipment (queued there). */
async function heldBy(stage: 'picking' | 'rebin' | 'shipping', shipmentId: string) {
  const field = `${stage}Shipment`;
  await eventually(
    async () => (await gql(system.gatewayUrl, `query($id: ID!) { ${field}(id: $id) { status } }`, { id: shipmentId })).data?.[field],
    (held) => held?.status === 'QUEUED',
  );
}

/** Waits until `stage` has pulled the shipment (the stage's own record). */
async function pulledBy(stage: 'rebin' | 'shipping', shipmentId: string) {
  const field = `${stage}Shipment`;
  await eventually(
    async () => (await gql(system.gatewayUrl, `query($id: ID!) { ${field}(id: $id) { status } }`, { id: shipmentId })).data?.[field],
    (held) => held?.status === 'CANCELLED',
  );
}

const cancelHistory = (order: OrderView) => order.history.filter((t) => t.elementType === 'CANCEL').map((t) => [t.to, t.node]);
/** The order's own moves, as its history has them (oldest first). */
const orderMoves = (order: OrderView) => order.history.filter((t) => t.elementType === 'ORDER').map((t) => `${t.from ?? 'NEW'}>${t.to}`);
const statusIs = (status: string) => (c: Cancellation) => c.status === status;
const refunded = (order: OrderView) => order.refunds.length > 0 && order.refunds.every((r) => r.status === 'REFUNDED');

describe('cancelling an order', () => {
  it('before it is split into shipments, its charge not made yet: cancelled at once by orders, and the charge withdrawn at payments', async () => {
    await system.stopWorkers('payments');
    try {
      const id = await place([{ sku: 'BOOK-001', quantity: 1 }]);
      await eventually(() => orderOf(id), (o) => o.status === 'CHARGING');
      const res = await cancel(id, `before-split-${id}`, asAda);
      expect(res.errors).toBeUndefined();
      const cancellation = res.data!.cancelOrder;
      expect(cancellation).toMatchObject({ status: 'CANCELLED', reason: 'changed my mind', refundAmount: null });
      expect(cancellation.outcomes).toEqual([{ elementId: id, node: 'orders', result: 'APPLIED', detail: 'cancelled by orders while CHARGING' }]);
      expect((await orderOf(id)).status).toBe('CANCELLED');

      // The same key again: the same cancellation; with another reason, refused. Another key:
      // refused, the order has one.
      const again = await cancel(id, `before-split-${id}`, asAda);
      expect(again.data!.cancelOrder.id).toBe(cancellation.id);
      expect(codes(await cancel(id, `before-split-${id}`, asAda, 'found a better price'))).toEqual(['CONFLICT']);
      expect(codes(await cancel(id, `another-${id}`, asAda))).toEqual(['CONFLICT']);

      // The charge asked for and not made is withdrawn: nothing is charged, nothing to refund.
      const chargeRequest = async () => (await gql(system.urls.payments, `query($id: ID!) { chargeRequest(id: $id) { status } }`, { id: `${id}:charge:1` })).data!.chargeRequest as { status: string };
      await eventually(chargeRequest, (request) => request.status === 'CANCELLED');
      system.addWorker('payments');
      await new Promise((resolve) => setTimeout(resolve, 500)); // a worker that would charge it has had its chance
      const settled = await orderOf(id);
      expect(settled).toMatchObject({ status: 'CANCELLED', charge: null, refunds: [], shipmentProgress: [] });
      expect(orderMoves(settled)).toEqual(['NEW>PLACED', 'PLACED>CHARGING', 'CHARGING>CANCELLED']);
    } finally {
      await system.stopWorkers('payments');
      system.addWorker('payments');
    }
  });

  it('before it is split into shipments, its charge being made: cancelled at once by orders, and the late charge is refunded in full', async () => {
    processor.latencyMs = 2_000; // the processor takes its time: the charge is under way when the cancellation comes
    try {
      const id = await place([{ sku: 'BOOK-001', quantity: 1 }]);
      const chargeRequest = async () => (await gql(system.urls.payments, `query($id: ID!) { chargeRequest(id: $id) { status } }`, { id: `${id}:charge:1` })).data!.chargeRequest as { status: string } | null;
      await eventually(chargeRequest, (request) => request?.status === 'PROCESSING');
      const res = await cancel(id, `in-flight-${id}`, asAda);
      expect(res.data!.cancelOrder).toMatchObject({ status: 'CANCELLED', refundAmount: null });
      const cancellation = res.data!.cancelOrder;

      // The charge goes through, and comes straight back.
      const settled = await eventually(() => orderOf(id), refunded);
      expect(settled.charge).toMatchObject({ outcome: 'APPROVED', amount: { amount: settled.total.amount } });
      expect(settled.refunds).toEqual([{ id: cancellation.id, status: 'REFUNDED', amount: { amount: settled.total.amount }, attempts: 1, refundedAt: expect.any(String) }]);
      expect(settled.status).toBe('CANCELLED');
      expect(settled.shipmentProgress).toEqual([]);
      // What the cancellation says comes back, once the charge it followed has landed.
      expect(settled.cancellation).toMatchObject({ id: cancellation.id, status: 'CANCELLED', refundAmount: { amount: settled.total.amount } });
      expect((await cancellationOf(cancellation.id)).refundAmount).toMatchObject({ amount: settled.total.amount });
      // Its history has every move, in order; the charge that landed later does not move it to payments.
      expect(orderMoves(settled)).toEqual(['NEW>PLACED', 'PLACED>CHARGING', 'CHARGING>CANCELLED']);
      expect(settled.location).toEqual({ state: 'CANCELLED', node: 'orders' });
    } finally {
      processor.latencyMs = 5;
    }
  });

  it("is measured against the order's own charge, not another a person made naming the order", async () => {
    const id = await place([{ sku: 'BOOK-001', quantity: 1 }]);
    // Past its own charge in tracking too (until CHARGING → RESERVING is heard, its charge is where it is).
    const charged = await eventually(() => orderOf(id), (o) => o.charge?.outcome === 'APPROVED' && orderMoves(o).includes('CHARGING>RESERVING') && o.location?.node !== 'payments');
    const fee = `fee-${id}`;
    const card = { token: 'tok_fee', last4: '4242', expMonth: 12, expYear: 2031 };
    const requested = await gql(system.gatewayUrl, `mutation($input: ChargeRequestInput!) { requestCharge(input: $input) { id } }`, {
      input: { requestId: fee, orderId: id, amount: { amount: 150, currency: 'GBP' }, card },
    });
    expect(requested.errors).toBeUndefined();
    await eventually(async () => (await gql(system.gatewayUrl, `query($id: ID!) { chargeRequest(id: $id) { status } }`, { id: fee })).data?.chargeRequest?.status, (status) => status === 'COMPLETED');
    expect((await orderOf(id)).charge).toEqual(charged.charge);
    // Nor does the fee move the order to payments once tracking has heard of it.
    await eventually(async () => (await gql(system.gatewayUrl, `query($id: ID!) { transitions(elementId: $id) { to } }`, { id: fee })).data?.transitions ?? [], (heard) => heard.length > 0);
    expect((await orderOf(id)).location?.node).not.toBe('payments');
    expect((await cancel(id, `after-fee-${id}`, asAda)).errors).toBeUndefined();
    const settled = await eventually(() => orderOf(id), refunded);
    expect(settled.refunds.map((r) => r.amount.amount)).toEqual([charged.charge!.amount.amount]);
    expect(settled.charge).toEqual(charged.charge);
  });

  it('before its charge request ever reached payments (payments down, the coordinator not running): its history still begins with PLACED, and it is never charged', async () => {
    await system.stopWorkers('orders');
    await system.stop('payments');
    let id: string;
    try {
      id = await place([{ sku: 'BOOK-001', quantity: 1 }]);
      const res = await cancel(id, `never-charged-${id}`, asAda);
      expect(res.data?.cancelOrder.status).toBe('CANCELLED');
    } finally {
      await system.restart('payments');
      system.addWorker('orders');
    }
    const settled = await eventually(() => orderOf(id), (o) => cancelHistory(o).some(([to]) => to === 'CANCEL_APPLIED') && orderMoves(o).length >= 3);
    // Placed charging (its first step, which sends the request, waiting in the coordinator's queue), cancelled before it went.
    expect(orderMoves(settled)).toEqual(['NEW>PLACED', 'PLACED>CHARGING', 'CHARGING>CANCELLED']);
    expect(settled.location).toEqual({ state: 'CANCELLED', node: 'orders' });
    expect(settled.charge).toBeNull();
  });

  it('while it waits for its reservation (inventory down): no move of it is missing from its history, and none comes after the cancellation', async () => {
    const before = await reserved('BOOK-001');
    await system.stop('inventory');
    let id: string;
    try {
      id = await place([{ sku: 'BOOK-001', quantity: 1 }]);
      await eventually(() => orderOf(id), (o) => o.status === 'RESERVING');
      expect((await cancel(id, `reserving-${id}`, asAda)).data?.cancelOrder.status).toBe('CANCELLED');
    } finally {
      await system.restart('inventory');
    }
    const settled = await eventually(() => orderOf(id), (o) => refunded(o) && cancelHistory(o).some(([to]) => to === 'CANCEL_APPLIED'));
    expect(orderMoves(settled)).toEqual(['NEW>PLACED', 'PLACED>CHARGING', 'CHARGING>RESERVING', 'RESERVING>CANCELLED']);
    expect(settled.location).toEqual({ state: 'CANCELLED', node: 'orders' });
    expect(settled.refunds.map((r) => r.amount.amount)).toEqual([settled.total.amount]);
    await eventually(() => reserved('BOOK-001'), (units) => units === before);
  });

  it('while it waits in exceptions (a declined card, missing stock): the exception is closed, and nobody is asked to retry it', async () => {
    const exceptionsOf = async (id: string) => {
      const res = await gql(system.gatewayUrl, `query($id: ID!) { order(id: $id) { status exceptions { id status resolution } } }`, { id }, { token: asAda });
      expect(res.errors).toBeUndefined();
      return res.data!.order as { status: string; exceptions: { id: string; status: string; resolution: string | null }[] };
    };
    const declined = await place([{ sku: 'BOOK-001', quantity: 1 }], 'p00000000000000000000004');
    const missing = await place([{ sku: 'LAMP-001', quantity: 1000 }]);
    for (const [id, status] of [[declined, 'PAYMENT_DECLINED'], [missing, 'OUT_OF_STOCK']] as const) {
      const waiting = await eventually(() => exceptionsOf(id), (o) => o.status === status && o.exceptions.length > 0);
      expect(waiting.exceptions).toEqual([{ id: expect.any(String), status: 'OPEN', resolution: null }]);
      const cancelled = await cancel(id, `waiting-${id}`, asAda);
      expect(cancelled.data?.cancelOrder.status).toBe('CANCELLED');
      const closed = await eventually(() => exceptionsOf(id), (o) => o.exceptions[0]?.status !== 'OPEN');
      expect(closed.exceptions).toEqual([{ id: waiting.exceptions[0]!.id, status: 'CANCELLED', resolution: `the order was cancelled (${cancelled.data!.cancelOrder.id})` }]);
      // Support's list of what waits for them no longer shows it, and a retry says why not.
      const open = await gql(system.gatewayUrl, `{ exceptions(status: OPEN, first: 100) { edges { node { id } } } }`);
      expect(open.data!.exceptions.edges.map((edge: { node: { id: string } }) => edge.node.id)).not.toContain(waiting.exceptions[0]!.id);
      expect(codes(await gql(system.gatewayUrl, `mutation($id: ID!) { retryException(id: $id) { status } }`, { id: waiting.exceptions[0]!.id }))).toEqual(['CONFLICT']);
    }
    // The order charged before stock ran short is refunded in full, as before.
    const refundedOrder = await eventually(() => orderOf(missing), refunded);
    expect(refundedOrder.refunds.map((r) => r.amount.amount)).toEqual([refundedOrder.total.amount]);
  });

  it("after tracking was down: the refund is logged after the cancellation it follows, even when payments' message reaches tracking before orders' do", async () => {
    const id = await place([{ sku: 'LAMP-001', quantity: 1000 }]);
    await eventually(() => orderOf(id), (o) => o.status === 'OUT_OF_STOCK' && o.history.some((t) => t.to === 'OUT_OF_STOCK'));
    await system.stop('tracking');
    let trackingBack = false;
    let ordersRelayStopped = false;
    try {
      expect((await cancel(id, `tracking-down-${id}`, asAda)).data?.cancelOrder.status).toBe('CANCELLED');
      // Paid back while tracking is down: the refund's moves wait in payments' outbox, the cancellation's in orders'.
      const refunds = async () => (await gql(system.gatewayUrl, `query($id: ID!) { order(id: $id) { refunds { status } } }`, { id })).data?.order.refunds as { status: string }[];
      await eventually(refunds, (list) => list.length > 0 && list.every((r) => r.status === 'REFUNDED'), 20_000);
      // Orders' relay (in its worker) stops before tracking is back: payments' message arrives first.
      await system.stopWorkers('orders');
      ordersRelayStopped = true;
      await system.restart('tracking');
      trackingBack = true;
      const store = system.services.tracking.store;
      const logged = async () => (await store.eventsBetween(1, await store.lastEventSeq())).filter((event) => event.orderId === id).map((event) => `${event.elementType} ${event.to}`);
      const events = await eventually(logged, (list) => list.includes('REFUND REFUNDED'), 30_000);
      // As a subscriber resuming from a cursor, or one following the order, receives them: the order
      // cancelled (the cancellation requested and applied first), then refunded.
      expect(events.slice(events.indexOf('CANCEL CANCEL_REQUESTED'))).toEqual(['CANCEL CANCEL_REQUESTED', 'CANCEL CANCEL_APPLIED', 'ORDER CANCELLED', 'REFUND REFUND_REQUESTED', 'REFUND REFUNDED']);
    } finally {
      if (!trackingBack) await system.restart('tracking');
      if (ordersRelayStopped) system.addWorker('orders');
    }
  });

  it('while a person’s retry of its exception was claimed by a process that died: the retry is refused, and the exception closed', async () => {
    const id = await place([{ sku: 'BOOK-001', quantity: 1 }], 'p00000000000000000000004');
    const waiting = await eventually(
      async () => (await gql(system.gatewayUrl, `query($id: ID!) { order(id: $id) { status exceptions { id status } } }`, { id }, { token: asAda })).data!.order,
      (o) => o.status === 'PAYMENT_DECLINED' && o.exceptions.length > 0,
    );
    const exceptionId = waiting.exceptions[0].id as string;
    const exceptions = system.services.exceptions;
    // The process that claimed the retry died before asking orders to carry it out.
    expect((await exceptions.store.claim(exceptionId, 'RETRY', { subject: 'test-agent', note: null })).outcome).toBe('claimed');
    expect((await cancel(id, `claimed-${id}`, asAda)).data?.cancelOrder.status).toBe('CANCELLED');
    await eventually(() => exceptions.store.get(exceptionId), (doc) => !!doc?.closeOnRelease);
    // The sweep carries out the claim: orders refuses (the order is cancelled), and that is why.
    expect(await exceptions.finishStaleClaims(0)).toBe(1);
    expect(await exceptions.store.get(exceptionId)).toMatchObject({ status: 'CANCELLED', resolution: expect.stringMatching(/^the order was cancelled/), pending: null });
  });

  it('at picking: pulled there, its stock given back, refunded in full, and all of it seen live over orderTransitions', async () => {
    const before = await reserved('LAMP-001');
    const id = await place([{ sku: 'LAMP-001', quantity: 1 }]);
    const placed = await eventually(() => orderOf(id), (o) => o.shipmentProgress.length > 0);
    const shipmentId = placed.shipmentProgress[0]!.shipmentId;
    await heldBy('picking', shipmentId);
    expect(await reserved('LAMP-001')).toBe(before + 1);

    const client = wsClient(system.gatewayUrl, { authorization: `Bearer ${asAda}` });
    try {
      const live = collect<{ orderTransitions: { transition: { elementType: string; to: string; node: string } } }>(
        client,
        `subscription($orderId: ID!) { orderTransitions(orderId: $orderId) { transition { elementType to node } } }`,
        { orderId: id },
      );
      const res = await cancel(id, `at-picking-${id}`, asAda);
      expect(res.errors).toBeUndefined();
      expect(res.data!.cancelOrder).toMatchObject({ status: 'PENDING', outcomes: [] });

      const done = await eventually(() => cancellationOf(res.data!.cancelOrder.id), statusIs('CANCELLED'));
      expect(done.outcomes).toEqual([{ elementId: shipmentId, node: 'picking', result: 'APPLIED', detail: 'pulled at picking while queued' }]);
      await live.until((c) => c.events.some((e) => e.orderTransitions.transition.to === 'REFUNDED'));
      const seen = live.events.map((e) => e.orderTransitions.transition);
      expect(seen).toEqual(
        expect.arrayContaining([
          { elementType: 'CANCEL', to: 'CANCEL_REQUESTED', node: 'orders' },
          { elementType: 'CANCEL', to: 'CANCEL_APPLIED', node: 'picking' },
          { elementType: 'SHIPMENT', to: 'CANCELLED', node: 'picking' },
          { elementType: 'REFUND', to: 'REFUNDED', node: 'payments' },
        ]),
      );
    } finally {
      await client.dispose();
    }

    const order = await eventually(() => orderOf(id), (o) => refunded(o) && o.status === 'CANCELLED');
    expect(order.shipmentProgress).toEqual([expect.objectContaining({ shipmentId, status: 'CANCELLED' })]);
    expect(order.cancellation!.refundAmount).toEqual({ amount: order.total.amount, currency: 'GBP' });
    expect(order.refunds).toEqual([expect.objectContaining({ status: 'REFUNDED', amount: { amount: order.total.amount } })]);
    expect(cancelHistory(order)).toEqual([
      ['CANCEL_REQUESTED', 'orders'],
      ['CANCEL_APPLIED', 'picking'],
    ]);
    // The outcome is dated as picking reached it, in the cancellation and in the history alike.
    const dated = (
      await gql(system.gatewayUrl, `query($id: ID!) { order(id: $id) { cancellation { outcomes { at } } history { to at } } }`, { id })
    ).data!.order as { cancellation: { outcomes: { at: string }[] }; history: { to: string; at: string }[] };
    expect(dated.cancellation.outcomes.map((outcome) => outcome.at)).toEqual(dated.history.filter((t) => t.to === 'CANCEL_APPLIED').map((t) => t.at));
    await eventually(() => reserved('LAMP-001'), (units) => units === before);
    // Its reservation says so too: every centre's part of it was given back.
    expect((await gql(system.gatewayUrl, `query($id: ID!) { order(id: $id) { reservation { status } } }`, { id })).data!.order.reservation).toEqual({ status: 'RELEASED' });
    // Nothing was picked or shipped for it.
    expect((await gql(system.gatewayUrl, `query($id: ID!) { shipment(id: $id) { id } }`, { id: shipmentId })).data!.shipment).toBeNull();
  });

  it('at rebin, while its other shipment has left: partly cancelled, and only what did not ship is refunded', async () => {
    await system.stopWorkers('rebin');
    try {
      const before = await reserved('BOOK-002');
      // BOOK-002 comes from LHR1 (two items: through rebin), LAMP-001 from FRA1 (one item: straight to shipping).
      const id = await place([{ sku: 'BOOK-002', quantity: 2 }, { sku: 'LAMP-001', quantity: 1 }]);
      const order = await eventually(
        () => orderOf(id),
        (o) => o.shipmentProgress.some((s) => s.distributionCenter === 'FRA1' && s.status === 'SHIPPED') && o.shipmentProgress.length === 2,
      );
      const atRebin = order.shipmentProgress.find((s) => s.distributionCenter === 'LHR1')!.shipmentId;
      const left = order.shipmentProgress.find((s) => s.distributionCenter === 'FRA1')!.shipmentId;
      await heldBy('rebin', atRebin);

      const res = await cancel(id, `partly-${id}`);
      expect(res.errors).toBeUndefined();
      // Pulled at rebin (its workers are stopped, so nothing there moves meanwhile); its relay,
      // which runs with its workers, then tells the others.
      await pulledBy('rebin', atRebin);
      system.addWorker('rebin');
      const done = await eventually(() => cancellationOf(res.data!.cancelOrder.id), statusIs('PARTLY_CANCELLED'));
      expect(done.outcomes).toEqual(
        expect.arrayContaining([
          { elementId: left, node: 'orders', result: 'REJECTED', detail: `too late: shipment ${left} has left` },
          { elementId: atRebin, node: 'rebin', result: 'APPLIED', detail: 'pulled at rebin while queued' },
        ]),
      );
      // Two books at 19.99 were charged for and will not ship.
      expect(done.refundAmount).toEqual({ amount: 2 * 1999, currency: 'GBP' });
      const settled = await eventually(() => orderOf(id), refunded);
      expect(settled.refunds).toEqual([expect.objectContaining({ status: 'REFUNDED', amount: { amount: 2 * 1999 } })]);
      // What is left of the order has shipped.
      expect(settled.status).toBe('SHIPPED');
      expect(settled.shipmentProgress.map((s) => [s.shipmentId, s.status]).sort()).toEqual([[atRebin, 'CANCELLED'], [left, 'SHIPPED']].sort());
      await eventually(() => reserved('BOOK-002'), (units) => units === before);

      // A later address change is about what is left of the order: the pulled shipment goes nowhere.
      const change = await gql(system.gatewayUrl, `mutation($input: ChangeShippingAddressInput!) { changeShippingAddress(input: $input) { id } }`, {
        input: { orderId: id, address: { name: 'Ada Lovelace', line1: '1 Piccadilly', city: 'Manchester', postalCode: 'M1 1AE', country: 'GB' } },
      });
      expect(change.errors).toBeUndefined();
      const changed = await eventually(
        async () => (await gql(system.gatewayUrl, `query($id: ID!) { addressChange(id: $id) { status outcomes { elementId result } } }`, { id: change.data!.changeShippingAddress.id })).data!.addressChange,
        (c) => c.status !== 'PENDING',
      );
      expect(changed).toEqual({ status: 'REJECTED', outcomes: [{ elementId: left, result: 'REJECTED' }] });
    } finally {
      await system.stopWorkers('rebin');
      system.addWorker('rebin');
    }
  });

  it('at shipping while shipping is down: waits in orders’ outbox, and is applied when shipping is back', async () => {
    await system.stopWorkers('shipping');
    try {
      const id = await place([{ sku: 'MUG-001', quantity: 1 }]);
      const placed = await eventually(() => orderOf(id), (o) => o.shipmentProgress[0]?.status === 'SHIPPING');
      const shipmentId = placed.shipmentProgress[0]!.shipmentId;
      await heldBy('shipping', shipmentId);
      await system.stop('shipping');
      let cancellationId: string;
      try {
        const res = await cancel(id, `shipping-down-${id}`);
        expect(res.errors).toBeUndefined();
        cancellationId = res.data!.cancelOrder.id;
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        expect((await cancellationOf(cancellationId)).status).toBe('PENDING');
      } finally {
        await system.restart('shipping');
      }
      // Back: the publication reaches it and it pulls the shipment; its relay (with its workers) reports.
      await pulledBy('shipping', shipmentId);
      system.addWorker('shipping');
      const done = await eventually(() => cancellationOf(cancellationId), statusIs('CANCELLED'));
      expect(done.outcomes).toEqual([{ elementId: shipmentId, node: 'shipping', result: 'APPLIED', detail: 'pulled at shipping while queued' }]);
      await eventually(() => orderOf(id), (o) => refunded(o) && o.status === 'CANCELLED');
    } finally {
      await system.stopWorkers('shipping');
      system.addWorker('shipping');
    }
  });

  it('after every shipment left: rejected as too late, nothing refunded', async () => {
    const id = await place([{ sku: 'MUG-001', quantity: 1 }]);
    await eventually(() => orderOf(id), (o) => o.status === 'SHIPPED');
    const res = await cancel(id, `too-late-${id}`, asAda);
    expect(res.errors).toBeUndefined();
    const done = await eventually(() => cancellationOf(res.data!.cancelOrder.id), statusIs('REJECTED'));
    expect(done.outcomes[0]).toMatchObject({ node: 'orders', result: 'REJECTED' });
    expect(done.outcomes[0]!.detail).toMatch(/^too late/);
    expect(done.refundAmount).toBeNull();
    const order = await eventually(() => orderOf(id), (o) => cancelHistory(o).length === 2);
    expect(order.status).toBe('SHIPPED');
    expect(order.refunds).toEqual([]);
    // Orders knew the shipment had left and said so; shipping, sent the cancellation too, says the
    // same of the same element: tracking keeps whichever came first, once.
    expect(cancelHistory(order)).toEqual([
      ['CANCEL_REQUESTED', 'orders'],
      ['CANCEL_REJECTED', expect.stringMatching(/^(orders|shipping)$/)],
    ]);
  });

  it('refunds to the test card whose refunds fail transiently: retried until it is refunded, once', async () => {
    const id = await place([{ sku: 'BOOK-001', quantity: 1 }], 'p00000000000000000000006');
    const placed = await eventually(() => orderOf(id), (o) => o.shipmentProgress.length > 0);
    await heldBy('picking', placed.shipmentProgress[0]!.shipmentId);
    const res = await cancel(id, `flaky-${id}`, asAda);
    expect(res.errors).toBeUndefined();
    const order = await eventually(() => orderOf(id), refunded, 30_000);
    expect(order.refunds).toEqual([expect.objectContaining({ status: 'REFUNDED', attempts: 3, amount: { amount: order.total.amount } })]);
  });

  it('refuses bad input with its code and writes nothing', async () => {
    const id = await place([{ sku: 'BOOK-001', quantity: 1 }]);
    expect(codes(await cancel(id, '', asAda))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await cancel(id, 'k'.repeat(101), asAda))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await cancel(id, `blank-${id}`, asAda, '   '))).toEqual(['BAD_USER_INPUT']);
    // A reason is read by people: no terminal escapes, no text that reads backwards from how it is stored.
    expect(codes(await cancel(id, `escape-${id}`, asAda, 'changed \u001b[31mmind'))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await cancel(id, `override-${id}`, asAda, 'changed \u202emind'))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await cancel('not-an-id', 'k', asAda))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await cancel('64b0000000000000000000ff', 'k'))).toEqual(['NOT_FOUND']);
    expect((await orderOf(id)).cancellation).toBeNull();
  });
});

describe('returning a shipped line', () => {
  const requestReturn = (input: { orderId: string; sku: string; quantity: number; idempotencyKey: string; reason?: string }) =>
    gql<{ requestReturn: { id: string; status: string; quantity: number; refundAmount: { amount: number } } }>(
      system.gatewayUrl,
      `mutation($input: RequestReturnInput!) { requestReturn(input: $input) { id status quantity refundAmount { amount } } }`,
      { input: { reason: 'arrived damaged', ...input } },
      { token: asAda },
    );
  const onHand = async (sku: string) => (await gql(system.gatewayUrl, `query($sku: String!) { product(sku: $sku) { stock { onHand } } }`, { sku })).data!.product.stock.onHand as number;
  const returnsOf = async (id: string) =>
    (await gql(system.gatewayUrl, `query($id: ID!) { order(id: $id) { returns { id status receivedAt } refunds { id status amount { amount } } } }`, { id })).data!.order as {
      returns: { id: string; status: string; receivedAt: string | null }[];
      refunds: { id: string; status: string; amount: { amount: number } }[];
    };

  it('waits for the items to come back through receiving, then refunds what they were charged at', async () => {
    const id = await place([{ sku: 'BOOK-002', quantity: 2 }]);
    await eventually(() => orderOf(id), (o) => o.status === 'SHIPPED');

    // Only what shipped, and not more than that.
    expect(codes(await requestReturn({ orderId: id, sku: 'BOOK-002', quantity: 3, idempotencyKey: `r0-${id}` }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await requestReturn({ orderId: id, sku: 'MUG-001', quantity: 1, idempotencyKey: `r0-${id}` }))).toEqual(['BAD_USER_INPUT']);
    for (const sku of ['', ' ', '\u200B']) {
      const blank = await requestReturn({ orderId: id, sku, quantity: 1, idempotencyKey: `r0-${id}` });
      expect(blank.errors?.map((error) => [error.message, error.extensions?.code])).toEqual([['sku must not be empty', 'BAD_USER_INPUT']]);
    }

    const res = await requestReturn({ orderId: id, sku: 'BOOK-002', quantity: 1, idempotencyKey: `r1-${id}` });
    expect(res.errors).toBeUndefined();
    const returned = res.data!.requestReturn;
    expect(returned).toMatchObject({ status: 'AWAITING_ITEM', quantity: 1, refundAmount: { amount: 1999 } });
    expect((await requestReturn({ orderId: id, sku: 'BOOK-002', quantity: 1, idempotencyKey: `r1-${id}` })).data!.requestReturn.id).toBe(returned.id);
    // The key names that return: used for another, it is refused.
    expect(codes(await requestReturn({ orderId: id, sku: 'BOOK-002', quantity: 2, idempotencyKey: `r1-${id}` }))).toEqual(['CONFLICT']);
    expect(codes(await requestReturn({ orderId: id, sku: 'BOOK-002', quantity: 1, idempotencyKey: `r1-${id}`, reason: 'changed my mind' }))).toEqual(['CONFLICT']);
    // The sku however it is written, as placeOrder takes it.
    expect((await requestReturn({ orderId: id, sku: ' book-002 ', quantity: 1, idempotencyKey: `r1-${id}` })).data!.requestReturn.id).toBe(returned.id);

    // Nothing is refunded while the item is on its way back.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await returnsOf(id)).refunds).toEqual([]);

    const stocked = await onHand('BOOK-002');
    const receive = (receiptId: string, sku: string, quantity: number, returnId = returned.id) =>
      gql(system.gatewayUrl, `mutation($input: ReceiveItemsInput!) { receiveItems(input: $input) { id } }`, {
        input: { receiptId, sku, distributionCenter: 'LHR1', bin: 'A-02', quantity, returnId },
      });
    // Receiving stocks exactly what the return names, before anything is stocked.
    expect(codes(await receive(`wrong-sku-${returned.id}`, 'MUG-001', 1))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await receive(`too-many-${returned.id}`, 'BOOK-002', 2))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await receive(`unknown-${returned.id}`, 'BOOK-002', 1, `${id}-return-000000000000`))).toEqual(['NOT_FOUND']);
    const receipt = await receive(`return-${returned.id}`, 'BOOK-002', 1);
    expect(receipt.errors).toBeUndefined();
    // The same return a second time, under another receipt: refused, whether orders has heard yet or not.
    expect(codes(await receive(`again-${returned.id}`, 'BOOK-002', 1))).toEqual(['CONFLICT']);
    const settled = await eventually(() => returnsOf(id), (o) => o.refunds.some((r) => r.status === 'REFUNDED'));
    expect(settled.returns).toEqual([{ id: returned.id, status: 'RECEIVED', receivedAt: expect.any(String) }]);
    expect(settled.refunds).toEqual([{ id: returned.id, status: 'REFUNDED', amount: { amount: 1999 } }]);
    expect(await onHand('BOOK-002')).toBe(stocked + 1);
    // The warehouse reads the order's history, but not its money: a refund's transitions name no amount.
    const asWarehouse = await userToken({ role: 'warehouse' });
    const seen = await gql(system.gatewayUrl, `query($id: ID!) { order(id: $id) { history { elementType detail } } }`, { id }, { token: asWarehouse });
    expect(seen.errors).toBeUndefined();
    const refundDetails = (seen.data!.order.history as { elementType: string; detail: string | null }[]).filter((t) => t.elementType === 'REFUND').map((t) => t.detail);
    expect(refundDetails.length).toBeGreaterThan(0);
    expect(refundDetails.join(' ')).not.toMatch(/1999/);

    // The other unit may still be returned; then nothing more.
    expect((await requestReturn({ orderId: id, sku: 'BOOK-002', quantity: 1, idempotencyKey: `r2-${id}` })).errors).toBeUndefined();
    expect(codes(await requestReturn({ orderId: id, sku: 'BOOK-002', quantity: 1, idempotencyKey: `r3-${id}` }))).toEqual(['BAD_USER_INPUT']);
    const history = (await orderOf(id)).history.filter((t) => t.elementType === 'RETURN').map((t) => t.to);
    expect(history).toEqual(expect.arrayContaining(['RETURN_REQUESTED', 'ITEM_RECEIVED']));
  });
});
