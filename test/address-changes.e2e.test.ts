import { MAX_ADDRESS_CHANGES } from '../subgraphs/orders/address-changes.ts';
import { demo } from '../subgraphs/demo-data.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, gql, TestDatabases, testTokens } from './harness.ts';
import { collect, wsClient } from './subscriber.ts';
import { eventually, placeOrder, startSystem, type RunningSystem } from './system.ts';

// A support agent changes where an order in flight ships to, through the gateway, in each of
// the three ways: published to the stages (asynchronous), kept by the coordinator, or applied
// everywhere before answering (synchronous). Every service is real and on its own database.

const dbs = new TestDatabases();
let system: RunningSystem;

beforeAll(async () => {
  // Shipments wait in picking's aggregation queue long enough to be changed there.
  system = await startSystem(dbs, { picking: { batchSize: 50, maxWaitMs: 1_500 } });
});
afterAll(async () => {
  await system?.close();
  await dbs.cleanup();
});

const home = { name: 'Ada Lovelace', line1: '12 St James Square', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' };
const moved = (line1: string) => ({ ...home, line1, city: 'Manchester', postalCode: 'M1 1AE' });

interface Change {
  id: string;
  status: string;
  mode: string;
  address: { line1: string };
  outcomes: { elementId: string; node: string; result: string; detail: string | null }[];
}
interface Transition {
  elementType: string;
  to: string;
  node: string;
  detail: string | null;
}
interface OrderView {
  status: string;
  shippingAddress: { line1: string };
  shipmentProgress: { shipmentId: string; status: string }[];
  shipments: { id: string; address: { line1: string } }[];
  addressChanges: Change[];
  history: Transition[];
}

const CHANGE_FIELDS = 'id status mode address { line1 } outcomes { elementId node result detail }';

async function changeAddress(orderId: string, mode: string, address: Record<string, string>, idempotencyKey?: string) {
  return gql<{ changeShippingAddress: Change }>(
    system.gatewayUrl,
    `mutation($input: ChangeShippingAddressInput!) { changeShippingAddress(input: $input) { ${CHANGE_FIELDS} } }`,
    { input: { orderId, mode, address, idempotencyKey } },
  );
}

async function changeOf(id: string): Promise<Change> {
  const res = await gql<{ addressChange: Change }>(system.gatewayUrl, `query($id: ID!) { addressChange(id: $id) { ${CHANGE_FIELDS} } }`, { id });
  expect(res.errors).toBeUndefined();
  return res.data!.addressChange;
}

/** The order as the graph composes it; `ownFieldsOnly` asks the orders service alone (others may be down). */
async function orderOf(id: string, ownFieldsOnly = false): Promise<OrderView> {
  const res = await gql<{ order: OrderView }>(
    system.gatewayUrl,
    `query($id: ID!) { order(id: $id) {
      status shippingAddress { line1 } shipmentProgress { shipmentId status }
      addressChanges { ${CHANGE_FIELDS} }
      ${ownFieldsOnly ? '' : 'shipments { id address { line1 } } history { elementType to node detail }'}
    } }`,
    { id },
  );
  expect(res.errors).toBeUndefined();
  return res.data!.order;
}

const statusIs = (status: string) => (order: OrderView) => order.status === status;
const changeIs = (status: string) => (change: Change) => change.status === status;
const changeHistory = (order: OrderView) => order.history.filter((t) => t.elementType === 'CHANGE');

/** Places an order and waits until its shipment is held by `stage` (queued there). */
async function orderHeldBy(stage: 'picking' | 'rebin', lines: { sku: string; quantity: number }[]) {
  const id = await placeOrder(system.gatewayUrl, lines);
  const order = await eventually(() => orderOf(id), (o) => o.shipmentProgress.length > 0);
  const shipmentId = order.shipmentProgress[0]!.shipmentId;
  const field = `${stage}Shipment`;
  await eventually(
    async () => (await gql(system.gatewayUrl, `query($id: ID!) { ${field}(id: $id) { status } }`, { id: shipmentId })).data?.[field],
    (held) => held?.status === 'QUEUED',
  );
  return { id, shipmentId };
}

describe('changing the shipping address of an order in flight', () => {
  it('asynchronously: answers at once, the stage holding the shipment applies it, and the shipment leaves with the new address', async () => {
    const { id, shipmentId } = await orderHeldBy('picking', [{ sku: 'BOOK-001', quantity: 1 }]);
    const client = wsClient(system.gatewayUrl);
    try {
      const live = collect<{ orderTransitions: { transition: { elementType: string; to: string; node: string } } }>(
        client,
        `subscription($orderId: ID!) { orderTransitions(orderId: $orderId) { transition { elementType to node } } }`,
        { orderId: id },
      );
      const res = await changeAddress(id, 'ASYNCHRONOUS', moved('1 Piccadilly'));
      expect(res.errors).toBeUndefined();
      expect(res.data!.changeShippingAddress).toMatchObject({ status: 'PENDING', mode: 'ASYNCHRONOUS', outcomes: [] });
      const changeId = res.data!.changeShippingAddress.id;

      // Poll for the outcome...
      const applied = await eventually(() => changeOf(changeId), changeIs('APPLIED'));
      expect(applied.outcomes).toEqual([{ elementId: shipmentId, node: 'picking', result: 'APPLIED', detail: 'applied at picking while queued' }]);
      // ...or watch it arrive.
      await live.until((c) => c.events.some((e) => e.orderTransitions.transition.to === 'CHANGE_APPLIED'));
      expect(live.events.find((e) => e.orderTransitions.transition.to === 'CHANGE_APPLIED')!.orderTransitions.transition).toEqual({
        elementType: 'CHANGE',
        to: 'CHANGE_APPLIED',
        node: 'picking',
      });
    } finally {
      await client.dispose();
    }

    const shipped = await eventually(() => orderOf(id), statusIs('SHIPPED'));
    expect(shipped.shipments).toEqual([{ id: shipmentId, address: { line1: '1 Piccadilly' } }]);
    expect(changeHistory(shipped).map((t) => [t.to, t.node])).toEqual([
      ['CHANGE_REQUESTED', 'orders'],
      ['CHANGE_APPLIED', 'picking'],
    ]);

    // Once the shipment has left, a change is too late, and the answer says so at once: orders
    // knows the shipment left, in every mode, without asking a stage (a synchronous change does
    // not fail because one is down).
    const tooLate = { elementId: shipmentId, node: 'orders', result: 'REJECTED', detail: `too late: shipment ${shipmentId} has left` };
    const late = await changeAddress(id, 'ASYNCHRONOUS', moved('2 Too Late Lane'));
    expect(late.errors).toBeUndefined();
    expect(late.data!.changeShippingAddress).toMatchObject({ status: 'REJECTED', outcomes: [tooLate] });
    await system.stop('shipping');
    try {
      const lateAndSynchronous = await changeAddress(id, 'SYNCHRONOUS', moved('2 Too Late Lane'));
      expect(lateAndSynchronous.errors).toBeUndefined();
      expect(lateAndSynchronous.data!.changeShippingAddress).toMatchObject({ status: 'REJECTED', outcomes: [tooLate] });
    } finally {
      await system.restart('shipping');
    }
    const after = await eventually(() => orderOf(id), (o) => changeHistory(o).length === 6);
    expect(changeHistory(after).slice(2).map((t) => [t.to, t.node])).toEqual([
      ['CHANGE_REQUESTED', 'orders'],
      ['CHANGE_REJECTED', 'orders'],
      ['CHANGE_REQUESTED', 'orders'],
      ['CHANGE_REJECTED', 'orders'],
    ]);
    expect(after.addressChanges.slice(1).map((change) => change.status)).toEqual(['REJECTED', 'REJECTED']);
    expect(after.shippingAddress.line1).toBe('1 Piccadilly'); // what it shipped to, not the rejected ones
  });

  it('a tracking link sees that a change was asked for, and neither its address nor what was ordered', async () => {
    const { id } = await orderHeldBy('picking', [{ sku: 'BOOK-001', quantity: 1 }]);
    const res = await changeAddress(id, 'ASYNCHRONOUS', moved('221B Private Lane'));
    expect(res.errors).toBeUndefined();
    const link = await testTokens.signTracking(id);
    const history = await eventually(
      async () => (await gql<{ order: OrderView }>(system.gatewayUrl, `query($id: ID!) { order(id: $id) { status history { elementType to node } shipments { id } } }`, { id }, { token: link })).data?.order.history ?? [],
      (transitions) => transitions.some((t) => t.to === 'CHANGE_REQUESTED'),
    );
    expect(JSON.stringify(history)).not.toMatch(/Private Lane|M1 1AE|Manchester/);
    // The history's details are for the customer and staff, and name no address either.
    const details = (await orderOf(id)).history.filter((t) => t.elementType === 'CHANGE').map((t) => t.detail);
    expect(details[0]).toBe('asynchronous');
    expect(JSON.stringify(details)).not.toMatch(/Private Lane|M1 1AE|Manchester/);
    for (const field of ['lines { quantity }', 'total { amount }', 'shippingAddress { line1 }', 'history { detail }', 'shipmentProgress { detail }']) {
      expect(codes(await gql(system.gatewayUrl, `query($id: ID!) { order(id: $id) { ${field} } }`, { id }, { token: link })), field).toEqual(['FORBIDDEN']);
    }
  });

  it('dates each outcome when it was reached, not when tracking heard of it: one applied before a cancellation comes before it', async () => {
    await system.stopWorkers('payments'); // the order waits for its charge, held by orders
    try {
      const id = await placeOrder(system.gatewayUrl, [{ sku: 'BOOK-001', quantity: 1 }]);
      await eventually(() => orderOf(id, true), statusIs('CHARGING'));
      await system.stopWorkers('orders'); // nothing reaches tracking for a while
      let changeId: string;
      try {
        const res = await changeAddress(id, 'ASYNCHRONOUS', moved('5 Early Road'));
        expect(res.data!.changeShippingAddress.status).toBe('APPLIED');
        changeId = res.data!.changeShippingAddress.id;
        await new Promise((resolve) => setTimeout(resolve, 300));
        const cancelled = await gql(system.gatewayUrl, `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { status } }`, { input: { orderId: id, reason: 'moved again', idempotencyKey: `early-${id}` } });
        expect(cancelled.data?.cancelOrder.status).toBe('CANCELLED');
        await new Promise((resolve) => setTimeout(resolve, 300));
      } finally {
        system.addWorker('orders');
      }
      const outcomeAt = (await gql(system.gatewayUrl, `query($id: ID!) { addressChange(id: $id) { outcomes { at } } }`, { id: changeId })).data!.addressChange.outcomes[0].at as string;
      const history = await eventually(
        async () => (await gql(system.gatewayUrl, `query($id: ID!) { order(id: $id) { history { elementType to at } } }`, { id })).data!.order.history as { elementType: string; to: string; at: string }[],
        (transitions) => transitions.some((t) => t.to === 'CHANGE_APPLIED') && transitions.some((t) => t.to === 'CANCELLED'),
      );
      expect(history.find((t) => t.to === 'CHANGE_APPLIED')!.at).toBe(outcomeAt);
      expect(history.findIndex((t) => t.to === 'CHANGE_APPLIED')).toBeLessThan(history.findIndex((t) => t.to === 'CANCELLED'));
    } finally {
      system.addWorker('payments');
    }
  });

  it('asynchronously, with the stage holding the shipment down: applied once when it is back', async () => {
    await system.stopWorkers('rebin');
    const { id, shipmentId } = await orderHeldBy('rebin', [{ sku: 'MUG-001', quantity: 2 }]);
    await system.stop('rebin');
    let back = false;
    try {
      const res = await changeAddress(id, 'ASYNCHRONOUS', moved('3 Deansgate'));
      expect(res.errors).toBeUndefined();
      const changeId = res.data!.changeShippingAddress.id;
      // Picking and shipping do not hold it; rebin cannot be reached: still pending.
      await new Promise((resolve) => setTimeout(resolve, 800));
      expect(await changeOf(changeId)).toMatchObject({ status: 'PENDING', outcomes: [] });
      await system.restart('rebin');
      back = true;
      // Back, and still holding the shipment (its workers are not running yet): the redelivered
      // change is applied to it there. Its report goes out with rebin's outbox once a worker runs.
      await eventually(() => system.services.rebin.store.shipments.get(shipmentId), (item) => item?.payload.addressVersion === 1, 15_000);
    } finally {
      if (!back) await system.restart('rebin');
      system.addWorker('rebin');
    }
    const shipped = await eventually(() => orderOf(id), statusIs('SHIPPED'), 30_000);
    expect(shipped.shipments).toEqual([{ id: shipmentId, address: { line1: '3 Deansgate' } }]);
    const [change] = shipped.addressChanges;
    expect(change).toMatchObject({ status: 'APPLIED', outcomes: [{ elementId: shipmentId, node: 'rebin', result: 'APPLIED' }] });
    expect(changeHistory(shipped).filter((t) => t.to === 'CHANGE_APPLIED')).toHaveLength(1);
  });

  it('before the order is split into shipments: orders holds it and applies it at once, or (coordinator) when it routes it to picking', async () => {
    await system.stopWorkers('payments');
    let asyncOrder: string;
    let coordinated: string;
    try {
      asyncOrder = await placeOrder(system.gatewayUrl, [{ sku: 'BOOK-002', quantity: 1 }]);
      coordinated = await placeOrder(system.gatewayUrl, [{ sku: 'BOOK-002', quantity: 1 }]);
      await eventually(() => orderOf(coordinated), statusIs('CHARGING'));
      const now = await changeAddress(asyncOrder, 'ASYNCHRONOUS', moved('4 Canal Street'));
      expect(now.data!.changeShippingAddress).toMatchObject({ status: 'APPLIED', outcomes: [{ elementId: asyncOrder, node: 'orders', result: 'APPLIED' }] });
      const later = await changeAddress(coordinated, 'COORDINATOR', moved('5 Oxford Road'));
      expect(later.data!.changeShippingAddress).toMatchObject({ status: 'PENDING', outcomes: [] });
    } finally {
      system.addWorker('payments');
    }
    const first = await eventually(() => orderOf(asyncOrder), statusIs('SHIPPED'));
    expect(first.shipments[0]!.address.line1).toBe('4 Canal Street');
    const second = await eventually(() => orderOf(coordinated), statusIs('SHIPPED'));
    expect(second.shipments[0]!.address.line1).toBe('5 Oxford Road');
    expect(second.addressChanges[0]!.outcomes).toEqual([
      { elementId: coordinated, node: 'orders', result: 'APPLIED', detail: 'applied by the coordinator when it sent the order to picking' },
    ]);
  });

  it('on an order waiting for a person (a declined card): applied at once, or kept for the coordinator; a kept one is rejected if the order is cancelled', async () => {
    const res = await gql(system.gatewayUrl, `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`, {
      input: { customerId: demo.customers.ada, paymentMethodId: 'p00000000000000000000004', lines: [{ sku: 'BOOK-002', quantity: 1 }] },
    });
    expect(res.errors).toBeUndefined();
    const orderId = res.data!.placeOrder.id as string;
    await eventually(() => orderOf(orderId, true), statusIs('PAYMENT_DECLINED'));
    const now = await changeAddress(orderId, 'ASYNCHRONOUS', moved('6 Deansgate'));
    expect(now.data!.changeShippingAddress).toMatchObject({ status: 'APPLIED', outcomes: [{ elementId: orderId, node: 'orders', result: 'APPLIED' }] });
    const kept = await changeAddress(orderId, 'COORDINATOR', moved('7 Deansgate'));
    expect(kept.data!.changeShippingAddress).toMatchObject({ status: 'PENDING', outcomes: [] });
    const cancelled = await gql(system.gatewayUrl, `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { id status } }`, {
      input: { orderId, reason: 'changed my mind', idempotencyKey: `declined-${orderId}` },
    });
    expect(cancelled.data!.cancelOrder.status).toBe('CANCELLED');
    // The order goes nowhere now: the change that waited for its next routing never happens.
    const rejected = await eventually(() => changeOf(kept.data!.changeShippingAddress.id), changeIs('REJECTED'));
    expect(rejected.outcomes).toEqual([{ elementId: orderId, node: 'orders', result: 'REJECTED', detail: 'the order was cancelled' }]);
    expect(await changeOf(now.data!.changeShippingAddress.id)).toMatchObject({ status: 'APPLIED' });
  });

  it('through the coordinator: kept by orders and applied when it next routes the shipment (directed routing)', async () => {
    process.env.PICKING_ROUTING = 'directed';
    try {
      const { id, shipmentId } = await orderHeldBy('picking', [{ sku: 'BOOK-001', quantity: 1 }]);
      const res = await changeAddress(id, 'COORDINATOR', moved('6 Market Street'));
      expect(res.data!.changeShippingAddress).toMatchObject({ status: 'PENDING', mode: 'COORDINATOR' });
      const applied = await eventually(() => changeOf(res.data!.changeShippingAddress.id), changeIs('APPLIED'));
      expect(applied.outcomes).toEqual([
        { elementId: shipmentId, node: 'orders', result: 'APPLIED', detail: 'applied by the coordinator when it routed the shipment from picking to shipping' },
      ]);
      const shipped = await eventually(() => orderOf(id), statusIs('SHIPPED'));
      expect(shipped.shipments[0]!.address.line1).toBe('6 Market Street');
    } finally {
      delete process.env.PICKING_ROUTING;
    }
  });

  it('through the coordinator, when the shipment never passes it again (autonomous routing): rejected as too late, and it ships as it was', async () => {
    const { id, shipmentId } = await orderHeldBy('picking', [{ sku: 'BOOK-001', quantity: 1 }]);
    const before = await orderOf(id);
    const res = await changeAddress(id, 'COORDINATOR', moved('7 Portland Street'));
    const rejected = await eventually(() => changeOf(res.data!.changeShippingAddress.id), changeIs('REJECTED'));
    expect(rejected.outcomes[0]).toMatchObject({ elementId: shipmentId, node: 'orders', result: 'REJECTED' });
    const shipped = await eventually(() => orderOf(id), statusIs('SHIPPED'));
    expect(shipped.shipments[0]!.address.line1).toBe(before.shippingAddress.line1);
    // The order says where it went, not where it was asked to go too late.
    expect(shipped.shippingAddress.line1).toBe(before.shippingAddress.line1);
  });

  it('synchronously: applied at every node before the answer', async () => {
    const { id, shipmentId } = await orderHeldBy('picking', [{ sku: 'BOOK-001', quantity: 1 }]);
    const res = await changeAddress(id, 'SYNCHRONOUS', moved('8 King Street'));
    expect(res.errors).toBeUndefined();
    expect(res.data!.changeShippingAddress).toMatchObject({
      status: 'APPLIED',
      mode: 'SYNCHRONOUS',
      outcomes: [{ elementId: shipmentId, node: 'picking', result: 'APPLIED', detail: 'applied at picking while queued' }],
    });
    const shipped = await eventually(() => orderOf(id), statusIs('SHIPPED'));
    expect(shipped.shipments[0]!.address.line1).toBe('8 King Street');
    expect(changeHistory(shipped).filter((t) => t.to === 'CHANGE_APPLIED')).toHaveLength(1);
  });

  it('many changes at once, synchronous and asynchronous, on two shipments: the outcome the order records for each is the one its history shows', async () => {
    const id = await placeOrder(system.gatewayUrl, [
      { sku: 'BOOK-002', quantity: 1 },
      { sku: 'LAMP-001', quantity: 1 },
    ]);
    await eventually(() => orderOf(id, true), (order) => order.shipmentProgress.length === 2);
    const answers = await Promise.all(Array.from({ length: 12 }, (_, n) => changeAddress(id, n % 2 ? 'SYNCHRONOUS' : 'ASYNCHRONOUS', moved(`${n} Piccadilly`))));
    expect(answers.filter((answer) => !answer.errors).length).toBeGreaterThan(1);
    type Recorded = { addressChanges: { id: string; outcomes: { node: string; result: string; detail: string | null }[] }[]; history: { elementType: string; elementId: string; to: string; node: string; detail: string | null }[] };
    const outcomesOf = (order: Recorded) =>
      order.addressChanges.flatMap((change) => change.outcomes.map((outcome) => `${change.id} ${outcome.result} at ${outcome.node}: ${outcome.detail}`)).sort();
    const historyOf = (order: Recorded) =>
      order.history
        .filter((t) => t.elementType === 'CHANGE' && t.to !== 'CHANGE_REQUESTED')
        .map((t) => `${t.elementId} ${t.to === 'CHANGE_APPLIED' ? 'APPLIED' : 'REJECTED'} at ${t.node}: ${t.detail}`)
        .sort();
    // Every change settled for both shipments (two outcomes each), and tracking has heard of as many.
    const settled = await eventually(
      async () =>
        (await gql<{ order: Recorded }>(system.gatewayUrl, `query($id: ID!) { order(id: $id) { addressChanges { id outcomes { node result detail } } history { elementType elementId to node detail } } }`, { id })).data!.order,
      (order) => order.addressChanges.every((change) => change.outcomes.length === 2) && historyOf(order).length === outcomesOf(order).length,
      60_000,
    );
    expect(historyOf(settled)).toEqual(outcomesOf(settled));
  });

  it("tells tracking a stage's outcome as orders records it, without waiting for the orders worker's relay", async () => {
    const { id } = await orderHeldBy('picking', [{ sku: 'BOOK-001', quantity: 1 }]);
    await system.stopWorkers('orders');
    try {
      const res = await changeAddress(id, 'SYNCHRONOUS', moved('9 Quick Street'));
      expect(res.errors).toBeUndefined();
      const told = await eventually(() => orderOf(id), (order) => changeHistory(order).some((t) => t.to === 'CHANGE_APPLIED'), 5_000);
      expect(changeHistory(told).filter((t) => t.to === 'CHANGE_APPLIED')).toEqual([{ elementType: 'CHANGE', to: 'CHANGE_APPLIED', node: 'picking', detail: 'applied at picking while queued' }]);
    } finally {
      system.addWorker('orders');
    }
  });

  it('synchronously, with a node that might hold the order down: fails cleanly and changes nothing anywhere', async () => {
    const { id } = await orderHeldBy('picking', [{ sku: 'BOOK-001', quantity: 1 }]);
    const before = await orderOf(id);
    await system.stop('shipping');
    try {
      const res = await changeAddress(id, 'SYNCHRONOUS', moved('9 Quay Street'));
      expect(codes(res)).toEqual(['DEPENDENCY_UNAVAILABLE']);
      expect(res.errors![0]!.message).toMatch(/shipping is unavailable; nothing was changed/);
      const after = await orderOf(id, true);
      expect(after.addressChanges).toEqual([]);
      expect(after.shippingAddress).toEqual(before.shippingAddress);
    } finally {
      await system.restart('shipping');
    }
    const shipped = await eventually(() => orderOf(id), statusIs('SHIPPED'));
    expect(shipped.shipments[0]!.address.line1).toBe(before.shippingAddress.line1);
    expect(changeHistory(shipped)).toEqual([]);
  });

  it('refuses bad input with a clear error and writes nothing; a retry with the same key is the same change', async () => {
    const { id } = await orderHeldBy('picking', [{ sku: 'BOOK-001', quantity: 1 }]);
    expect(codes(await changeAddress(id, 'ASYNCHRONOUS', { ...home, country: 'United Kingdom' }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await changeAddress(id, 'ASYNCHRONOUS', { ...home, line1: '  ' }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await changeAddress(id, 'ASYNCHRONOUS', { ...home, country: 'XX' }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await changeAddress(id, 'ASYNCHRONOUS', { ...home, postalCode: '9'.repeat(5_000) }))).toEqual(['BAD_USER_INPUT']);
    // The name goes on the label as the lines do: no line breaks, control characters or direction overrides.
    expect(codes(await changeAddress(id, 'ASYNCHRONOUS', { ...home, name: 'x\r\ny' }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await changeAddress(id, 'ASYNCHRONOUS', { ...home, name: 'Ada\u0007' }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await changeAddress(id, 'ASYNCHRONOUS', { ...home, name: 'Ada \u202Eecalovel' }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await changeAddress(id, 'ASYNCHRONOUS', { ...home, line1: '12 St James\u2067 Square' }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await changeAddress(id, 'SYNCHRONOUS', { ...home, name: 'N\u2028X' }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await changeAddress(id, 'COORDINATOR', { ...home, postalCode: '\u200B' }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await changeAddress('64b0000000000000000000ff', 'ASYNCHRONOUS', home))).toEqual(['NOT_FOUND']);
    expect(codes(await changeAddress('not-an-id', 'ASYNCHRONOUS', home))).toEqual(['BAD_USER_INPUT']);
    expect((await orderOf(id)).addressChanges).toEqual([]);

    const first = await changeAddress(id, 'ASYNCHRONOUS', moved('10 Albert Square'), 'agent-42:ticket-7');
    const again = await changeAddress(id, 'ASYNCHRONOUS', moved('10 Albert Square'), 'agent-42:ticket-7');
    expect(again.data!.changeShippingAddress.id).toBe(first.data!.changeShippingAddress.id);
    expect((await orderOf(id)).addressChanges).toHaveLength(1);
  });

  it('takes at most MAX_ADDRESS_CHANGES changes of one order, also when they come at once, then refuses more with CONFLICT and writes nothing', async () => {
    const { id } = await orderHeldBy('picking', [{ sku: 'BOOK-001', quantity: 1 }]);
    const before = MAX_ADDRESS_CHANGES - 5;
    for (let n = 0; n < before; n++) {
      const res = await changeAddress(id, 'COORDINATOR', moved(`${n} Albert Square`));
      expect(res.errors, `change ${n}`).toBeUndefined();
    }
    // Ten at once, with room for five: five are taken, five refused.
    const atOnce = await Promise.all(Array.from({ length: 10 }, (_, n) => changeAddress(id, 'COORDINATOR', moved(`${before + n} Albert Square`))));
    expect(atOnce.map((res) => (res.errors ? codes(res).join() : 'ok')).sort()).toEqual([...Array(5).fill('CONFLICT'), ...Array(5).fill('ok')]);
    const refused = await changeAddress(id, 'COORDINATOR', moved('21 Albert Square'));
    expect(codes(refused)).toEqual(['CONFLICT']);
    expect(refused.errors![0]!.message).toContain(`${MAX_ADDRESS_CHANGES} address changes`);
    expect((await orderOf(id, true)).addressChanges).toHaveLength(MAX_ADDRESS_CHANGES);
  });
});
