import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demo } from '../subgraphs/demo-data.ts';
import { codes, gql, TestDatabases } from './harness.ts';
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

const card = { visa: 'p00000000000000000000001', declined: 'p00000000000000000000004', softDecline: 'p00000000000000000000005' };

async function place(lines: { sku: string; quantity: number }[], paymentMethodId = card.visa, shippingMethod = 'STANDARD') {
  const res = await gql(system.gatewayUrl, `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }`, {
    input: { customerId: demo.customers.ada, paymentMethodId, lines, shippingMethod },
  });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data!.placeOrder.id as string;
}

const journey = /* GraphQL */ `
  query Journey($id: ID!) {
    order(id: $id) {
      status
      stage
      customer { name }
      charge { outcome declineReason amount { amount currency } }
      reservation { status missing allocations { sku quantity distributionCenter } }
      picklists { id reason shipmentIds }
      shipments { carrier trackingNumber items address { city country } }
      shipmentProgress { shipmentId status detail }
      exceptions { id status reason }
    }
  }
`;

const orderOf = async (id: string) => {
  const res = await gql(system.gatewayUrl, journey, { id });
  expect(res.errors).toBeUndefined();
  return res.data!.order;
};

/** Only fields the orders service owns: answers while any other service is down. */
const statusOf = async (id: string) => (await gql(system.gatewayUrl, `query($id: ID!) { order(id: $id) { status } }`, { id })).data!.order as { status: string };

const statusIs = (...statuses: string[]) => (order: any) => statuses.includes(order.status);

describe('the order pipeline', () => {
  it('takes a multi-item order from PLACED to SHIPPED by itself, through charging, reservation, picking, rebin and shipping', async () => {
    const id = await place([
      { sku: 'BOOK-002', quantity: 1 },
      { sku: 'MUG-001', quantity: 2 },
    ]);
    const order = await eventually(() => orderOf(id), statusIs('SHIPPED'));
    expect(order.stage).toBeNull();
    expect(order.customer).toEqual({ name: 'Ada Lovelace' });
    expect(order.charge).toEqual({ outcome: 'APPROVED', declineReason: null, amount: { amount: 1999 + 2 * 1250, currency: 'GBP' } });
    expect(order.picklists).toHaveLength(1);
    expect(order.shipments).toEqual([{ carrier: 'Royal Mail', trackingNumber: expect.stringMatching(/^RM\d{12}$/), items: 3, address: { city: 'London', country: 'GB' } }]);
    expect(order.shipmentProgress).toEqual([expect.objectContaining({ status: 'SHIPPED', detail: expect.stringContaining('Royal Mail') })]);
    expect(order.exceptions).toEqual([]);
    // Multi-item: the shipment went through rebin.
    const rebin = await gql(system.urls.rebin, `query($id: ID!) { rebinShipment(id: $id) { status } }`, { id: order.shipmentProgress[0].shipmentId });
    expect(rebin.data!.rebinShipment).toEqual({ status: 'DONE' });
    // Its units left their bins with the parcel: the reservation holds nothing any more.
    const reservation = async () => (await orderOf(id)).reservation;
    expect(await eventually(reservation, (held) => held.status !== 'RESERVED')).toMatchObject({ status: 'SHIPPED', allocations: [expect.anything(), expect.anything()] });
  });

  it('keeps a shipped order\'s reservation when a person cancels a stale exception of it: its stock left with the parcel', async () => {
    const id = await place([{ sku: 'BOOK-002', quantity: 1 }]);
    await eventually(() => orderOf(id), (order) => order.status === 'SHIPPED' && order.reservation.status === 'SHIPPED');
    // As exceptions does for a person's cancel of an exception raised about this order's charge
    // result: refused (the person is told the order shipped), and nothing released.
    const resolved = await gql(system.urls.orders, `mutation($id: ID!) { resolveOrdersException(queue: "charge-results", elementId: $id, action: CANCEL) }`, { id: `result:${id}:charge:1` });
    expect(codes(resolved)).toEqual(['CONFLICT']);
    expect(resolved.errors![0]!.message).toContain('it is SHIPPED');
    // The coordinator would have released it by now (it runs every step within milliseconds here).
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const order = await orderOf(id);
    expect(order.status).toBe('SHIPPED');
    expect(order.reservation.status).toBe('SHIPPED');
  });

  it('sends a single-item shipment straight from picking to shipping, and the shipped units leave the bins', async () => {
    const before = await gql(system.gatewayUrl, `{ product(sku: "LAMP-001") { stock { onHand reserved } } }`);
    const id = await place([{ sku: 'LAMP-001', quantity: 1 }], card.visa, 'EXPRESS');
    const order = await eventually(() => orderOf(id), statusIs('SHIPPED'));
    expect(order.shipments[0].carrier).toBe('DHL Express');
    const rebin = await gql(system.urls.rebin, `query($id: ID!) { rebinShipment(id: $id) { status } }`, { id: order.shipmentProgress[0].shipmentId });
    expect(rebin.data!.rebinShipment).toBeNull();
    const after = await eventually(
      () => gql(system.gatewayUrl, `{ product(sku: "LAMP-001") { stock { onHand reserved } } }`),
      (res) => res.data!.product.stock.onHand === before.data!.product.stock.onHand - 1,
    );
    expect(after.data!.product.stock.reserved).toBe(0);
  });

  it('sends a declined card to the exception path, visible on the order', async () => {
    const id = await place([{ sku: 'BOOK-001', quantity: 1 }], card.declined);
    const order = await eventually(() => orderOf(id), (o) => o.status === 'PAYMENT_DECLINED' && o.exceptions.length > 0);
    expect(order.stage).toBe('exceptions');
    expect(order.charge).toMatchObject({ outcome: 'DECLINED', declineReason: 'card_declined' });
    expect(order.exceptions).toEqual([expect.objectContaining({ status: 'OPEN', reason: 'card declined: card_declined' })]);
    expect(order.reservation).toBeNull();
  });

  it('brings a declined order back out of exceptions when a person retries it', async () => {
    const id = await place([{ sku: 'BOOK-001', quantity: 1 }], card.softDecline);
    const declined = await eventually(() => orderOf(id), (o) => o.status === 'PAYMENT_DECLINED' && o.exceptions.length > 0);
    expect(declined.charge.declineReason).toBe('issuer_unavailable');

    const retried = await gql(system.gatewayUrl, `mutation($id: ID!) { retryException(id: $id) { status } }`, { id: declined.exceptions[0].id });
    expect(retried.data!.retryException).toEqual({ status: 'RETRIED' });
    const again = await gql(system.gatewayUrl, `mutation($id: ID!) { retryException(id: $id) { status } }`, { id: declined.exceptions[0].id });
    expect(codes(again)).toEqual(['CONFLICT']);

    const shipped = await eventually(() => orderOf(id), statusIs('SHIPPED'));
    expect(shipped.charge.outcome).toBe('APPROVED');
    expect(shipped.exceptions).toEqual([expect.objectContaining({ status: 'RETRIED' })]);
  });

  it('retries a declined order once for one retry sent twice (its answer lost): the second is refused, and so is a cancel of the old exception, which leaves the order', async () => {
    const id = await place([{ sku: 'BOOK-001', quantity: 1 }], card.declined);
    await eventually(() => orderOf(id), (o) => o.status === 'PAYMENT_DECLINED' && o.exceptions.length === 1);
    // What exceptions sends orders for a person's retry, and sends again when the answer did not come.
    const resolve = (action: string) =>
      gql(system.urls.orders, `mutation($id: ID!, $action: ExceptionAction!) { resolveOrdersException(queue: "charge-results", elementId: $id, action: $action) }`, { id: `result:${id}:charge:1`, action });
    expect((await resolve('RETRY')).errors).toBeUndefined();
    // The retry's second charge was declined too: a second exception, for its own result.
    await eventually(() => orderOf(id), (o) => o.status === 'PAYMENT_DECLINED' && o.exceptions.length === 2);
    expect(codes(await resolve('RETRY'))).toEqual(['CONFLICT']);
    // Cancelling the first exception cancels nothing: the order waits on the second, and stays (the person is told).
    const cancel = await resolve('CANCEL');
    expect(codes(cancel)).toEqual(['CONFLICT']);
    expect(cancel.errors![0]!.message).toContain(`waits on result:${id}:charge:2 now`);
    // A third charge (or a cancellation) would be under way within this.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const after = await orderOf(id);
    expect(after.status).toBe('PAYMENT_DECLINED');
    expect(after.exceptions).toHaveLength(2);
  });

  it('loses nothing while a stage is down: the backlog waits in the outbox and drains when it returns', async () => {
    await system.stop('picking');
    let ids: string[] = [];
    try {
      ids = await Promise.all([1, 2, 3].map(() => place([{ sku: 'BOOK-002', quantity: 1 }])));
      for (const id of ids) await eventually(() => statusOf(id), statusIs('PICKING'));
      await new Promise((resolve) => setTimeout(resolve, 300));
      for (const id of ids) expect((await statusOf(id)).status).toBe('PICKING');
      // The hand-offs to picking are recorded in the orders service's own database, waiting.
      const pending = [...(await system.ordersStore.coordination.withPendingOutbox(100)), ...(await system.ordersStore.chargeResults.withPendingOutbox(100))];
      expect(pending.flatMap((item) => item.outbox).filter((m) => m.target === 'picking' && !m.delivered).length).toBeGreaterThanOrEqual(3);
    } finally {
      await system.restart('picking');
    }
    for (const id of ids) await eventually(() => orderOf(id), statusIs('SHIPPED'));
  });

  it('switches picking to directed routing by configuration alone: the coordinator forwards its shipments', async () => {
    process.env.PICKING_ROUTING = 'directed';
    try {
      const id = await place([{ sku: 'MUG-001', quantity: 2 }]);
      const order = await eventually(() => orderOf(id), statusIs('SHIPPED'));
      const shipmentId = order.shipmentProgress[0].shipmentId;
      expect(await system.ordersStore.coordination.get(`forward:picking:${shipmentId}`)).toMatchObject({ status: 'DONE' });
      const rebin = await gql(system.urls.rebin, `query($id: ID!) { rebinShipment(id: $id) { status } }`, { id: shipmentId });
      expect(rebin.data!.rebinShipment).toEqual({ status: 'DONE' });
    } finally {
      delete process.env.PICKING_ROUTING;
    }
  });

  it('never reserves more than is in stock, also under concurrent orders', async () => {
    // BOOK-001 has 52 units (40 in LHR1, 12 in FRA1); earlier tests may have used a few.
    const stock = await gql(system.gatewayUrl, `{ product(sku: "BOOK-001") { stock { available } } }`);
    const available = stock.data!.product.stock.available as number;
    const ids = await Promise.all(Array.from({ length: 8 }, () => place([{ sku: 'BOOK-001', quantity: Math.ceil(available / 6) }])));
    const finals = await Promise.all(ids.map((id) => eventually(() => orderOf(id), statusIs('SHIPPED', 'OUT_OF_STOCK'), 40_000)));
    const shipped = finals.filter((order) => order.status === 'SHIPPED').length;
    expect(shipped).toBeLessThanOrEqual(6);
    expect(shipped).toBeGreaterThanOrEqual(1);
    expect(finals.filter((order) => order.status === 'OUT_OF_STOCK').length).toBe(8 - shipped);
    const after = await eventually(
      () => gql(system.gatewayUrl, `{ product(sku: "BOOK-001") { stock { onHand reserved available } binItems { quantity reserved } } }`),
      (res) => res.data!.product.stock.reserved === 0,
    );
    expect(after.data!.product.stock.onHand).toBe(available - shipped * Math.ceil(available / 6));
    for (const bin of after.data!.product.binItems) expect(bin.quantity).toBeGreaterThanOrEqual(0);
  }, 60_000);

  it('sends an order without enough stock to exceptions; a retry after restocking ships it, a cancel stops another', async () => {
    const lampStock = async () => (await gql(system.gatewayUrl, `{ product(sku: "LAMP-001") { stock { available } } }`)).data!.product.stock.available as number;
    const short = (await lampStock()) + 5;
    const id = await place([{ sku: 'LAMP-001', quantity: short }]);
    const waiting = await eventually(() => orderOf(id), (o) => o.status === 'OUT_OF_STOCK' && o.exceptions.length > 0);
    expect(waiting.exceptions[0].reason).toBe('not enough stock for LAMP-001');
    // Nothing is held, and the reservation says what it lacks.
    expect(waiting.reservation).toMatchObject({ status: 'INSUFFICIENT', missing: ['LAMP-001'] });

    const restock = await gql(system.gatewayUrl, `mutation { adjustStock(input: { sku: "LAMP-001", distributionCenter: "FRA1", bin: "D-04", delta: 10 }) { quantity } }`);
    expect(restock.errors).toBeUndefined();
    expect((await gql(system.gatewayUrl, `mutation($id: ID!) { retryException(id: $id) { status } }`, { id: waiting.exceptions[0].id })).data!.retryException.status).toBe('RETRIED');
    const shipped = await eventually(() => orderOf(id), statusIs('SHIPPED'), 30_000);
    expect(shipped.reservation.status).not.toBe('INSUFFICIENT');

    const other = await place([{ sku: 'LAMP-001', quantity: 1000 }]);
    const stuck = await eventually(() => orderOf(other), (o) => o.status === 'OUT_OF_STOCK' && o.exceptions.length > 0);
    expect((await gql(system.gatewayUrl, `mutation($id: ID!) { cancelException(id: $id) { status } }`, { id: stuck.exceptions[0].id })).data!.cancelException.status).toBe('CANCELLED');
    expect((await orderOf(other)).status).toBe('CANCELLED');
    // It had been charged: stopped before anything was reserved or shipped, it is refunded in full.
    const refunds = async () => (await gql(system.gatewayUrl, `query($id: ID!) { order(id: $id) { total { amount } refunds { status amount { amount } } } }`, { id: other })).data!.order;
    const refunded = await eventually(refunds, (o) => o.refunds.some((r: { status: string }) => r.status === 'REFUNDED'));
    expect(refunded.refunds).toEqual([{ status: 'REFUNDED', amount: { amount: refunded.total.amount } }]);
  }, 60_000);

  it('gives back the stock a cancelled order held', async () => {
    await system.stopWorkers('picking'); // the order waits in picking
    try {
      const before = (await gql(system.gatewayUrl, `{ product(sku: "BOOK-002") { stock { onHand reserved } } }`)).data!.product.stock;
      const id = await place([{ sku: 'BOOK-002', quantity: 2 }]);
      await eventually(() => statusOf(id), statusIs('PICKING'));
      const held = (await gql(system.gatewayUrl, `{ product(sku: "BOOK-002") { stock { onHand reserved } } }`)).data!.product.stock;
      expect(held).toEqual({ onHand: before.onHand, reserved: before.reserved + 2 });
      // What the picking stage sends when a person cancels its shipment from exceptions:
      const cancelled = await gql(system.urls.orders, `mutation($id: ID!, $shipmentId: ID!) { stopOrder(orderId: $id, reason: "test", shipmentId: $shipmentId) }`, { id, shipmentId: `${id}-LHR1` });
      expect(cancelled.errors).toBeUndefined();
      expect((await statusOf(id)).status).toBe('CANCELLED');
      await eventually(
        async () => (await gql(system.gatewayUrl, `{ product(sku: "BOOK-002") { stock { onHand reserved } } }`)).data!.product.stock,
        (stock) => stock.reserved === before.reserved && stock.onHand === before.onHand,
      );
    } finally {
      system.addWorker('picking');
    }
  });

  it('stopping an order by one of its shipments gives back that shipment\'s stock only: the other ships with its own', async () => {
    const stockOf = async (sku: string) => (await gql(system.gatewayUrl, `query($sku: String!) { product(sku: $sku) { stock { onHand reserved } } }`, { sku })).data!.product.stock as { onHand: number; reserved: number };
    await system.stopWorkers('picking'); // both shipments wait in picking
    let id = '';
    const before = { book: await stockOf('BOOK-002'), lamp: await stockOf('LAMP-001') };
    try {
      // BOOK-002 is stocked only in LHR1, LAMP-001 only in FRA1: two shipments.
      id = await place([{ sku: 'BOOK-002', quantity: 1 }, { sku: 'LAMP-001', quantity: 1 }]);
      await eventually(() => statusOf(id), statusIs('PICKING'));
      // A person cancels the LHR1 shipment at picking (as from its exception); picking tells orders.
      // (Once the shipment has reached picking: the order reads PICKING as the coordinator sends it there.)
      const cancelAtPicking = () => gql(system.urls.picking, `mutation($id: ID!) { resolvePickingException(queue: "shipments", elementId: $id, action: CANCEL) }`, { id: `${id}-LHR1` });
      await eventually(cancelAtPicking, (res) => res.errors === undefined);
    } finally {
      system.addWorker('picking');
    }
    await eventually(() => statusOf(id), statusIs('CANCELLED'));
    // LHR1's book is back on the shelf for others; FRA1's lamp went out, and took its stock with it.
    await eventually(() => stockOf('BOOK-002'), (stock) => stock.reserved === before.book.reserved && stock.onHand === before.book.onHand);
    await eventually(() => stockOf('LAMP-001'), (stock) => stock.reserved === before.lamp.reserved && stock.onHand === before.lamp.onHand - 1);
    // The order says so: stopped, one shipment cancelled, the other gone with its carrier.
    const progress = await eventually(
      () => orderOf(id),
      (order) => order.shipmentProgress.some((shipment: { status: string }) => shipment.status === 'SHIPPED'),
    );
    expect(progress.status).toBe('CANCELLED');
    expect(Object.fromEntries(progress.shipmentProgress.map((shipment: { shipmentId: string; status: string }) => [shipment.shipmentId, shipment.status]))).toEqual({
      [`${id}-LHR1`]: 'CANCELLED',
      [`${id}-FRA1`]: 'SHIPPED',
    });
    // What did not ship is paid back: the book's line, once; the lamp that went out is not.
    const refunds = async () => (await gql(system.gatewayUrl, `query($id: ID!) { order(id: $id) { lines { product { sku } lineTotal { amount } } refunds { id status amount { amount } } } }`, { id })).data!.order;
    const refunded = await eventually(refunds, (order) => order.refunds.some((refund: { status: string }) => refund.status === 'REFUNDED'));
    const book = refunded.lines.find((line: { product: { sku: string } }) => line.product.sku === 'BOOK-002').lineTotal.amount;
    expect(refunded.refunds).toEqual([{ id: `${id}-LHR1-stopped`, status: 'REFUNDED', amount: { amount: book } }]);
    // Nothing is held for it any more: the lamp's unit left, the book's was given back.
    expect(await eventually(async () => (await orderOf(id)).reservation, (held) => held.status !== 'RESERVED')).toMatchObject({ status: 'SHIPPED' });
  });

  it('keeps the services\' internal mutations away from gateway clients', async () => {
    const res = await gql(system.gatewayUrl, `mutation { recordProgress(input: { eventId: "x", orderId: "64b0000000000000000000aa", shipmentId: "s", stage: "shipping", status: "SHIPPED" }) }`);
    expect(codes(res)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });
});
