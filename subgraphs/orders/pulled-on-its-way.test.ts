import { ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphQLClient } from '../../kit/graphql-client.ts';
import { variablesOf, type Lease, type NewMessage, type OutboxMessage } from '../../kit/queue.ts';
import { operations, type ShipmentPayload } from '../../pipeline/messages.ts';
import { sendTo } from '../../pipeline/routes.ts';
import { gql, TestDatabases, type RunningApp } from '../../test/harness.ts';
import { forwardStepId, pullRefusedWhenRecorded, requestCancellation } from './cancellations.ts';
import { createCoordinator } from './coordinator.ts';
import { bookAndLamp, startOrdersServiceAlone, storeTestOrder } from './service-alone.ts';
import type { CoordinationStep, OrderStore } from './store.ts';

/** Stored outbox messages as they are sent: with their variables. */
const asSent = (outbox: readonly OutboxMessage[]): NewMessage[] => outbox.map((message) => ({ id: message.id, target: message.target, operation: message.operation, variables: variablesOf(message) }));

// A customer cancels an order while one of its shipments is held by the orders service itself:
// on directed routing a stage hands a finished shipment back, and the coordinator's step that
// routes it on waits in orders' own queue, or is parked there in exceptions. No stage holds such
// a shipment, so none would answer for it. Against the real database, with no other service:
// what the coordinator sends is read from its outbox, and what it sends to orders is delivered
// to this orders service as the relay would.

const dbs = new TestDatabases();
let app: RunningApp;
let store: OrderStore;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ app, store, close } = await startOrdersServiceAlone(dbs, 'orders_pulled_on_its_way'));
});
afterAll(async () => {
  await close();
  await dbs.cleanup();
});

const noInventory = { request: () => Promise.reject(new Error('inventory is not asked here')) } as unknown as GraphQLClient;

function shipmentOf(orderId: string, centre: string, sku: string): ShipmentPayload {
  return {
    shipmentId: `${orderId}-${centre}`,
    orderId,
    reservationId: orderId,
    distributionCenter: centre,
    shippingMethod: 'STANDARD',
    lines: [{ sku, title: sku, quantity: 1, weightGrams: 500, bin: 'A1' }],
    address: { name: 'Ada Lovelace', line1: '1 Main St', city: 'Manchester', postalCode: 'M1 1AE', country: 'GB' },
    addressVersion: 0,
  };
}

/** A charged order of a 1000 GBP book from LHR1 and a 3900 GBP lamp from FRA1, both picked and handed back to orders. */
async function orderBetweenStages() {
  const _id = new ObjectId();
  const id = _id.toHexString();
  const book = shipmentOf(id, 'LHR1', 'BOOK-001');
  const lamp = shipmentOf(id, 'FRA1', 'LAMP-001');
  await storeTestOrder(store, {
    _id,
    status: 'PICKING',
    stage: 'picking',
    ...bookAndLamp,
    shipments: [book, lamp].map((shipment) => ({
      shipmentId: shipment.shipmentId,
      distributionCenter: shipment.distributionCenter,
      status: 'PICKING' as const,
      detail: null,
      lines: [{ sku: shipment.lines[0]!.sku, quantity: 1 }],
    })),
  });
  for (const shipment of [book, lamp]) await store.coordination.enqueue(forwardStepId('picking', shipment.shipmentId), { kind: 'forward', stage: 'picking', shipment });
  return { id, book: book.shipmentId, lamp: lamp.shipmentId };
}

/** Parks a step as a worker that fails it for good would. */
async function park(stepId: string): Promise<void> {
  const lease = await store.coordination.leaseById(stepId, 'test-worker');
  expect(lease).not.toBeNull();
  expect(await store.coordination.fail(lease!, 'routing failed', { permanent: true })).toBe('failed');
}

const leaseOf = (id: string, payload: CoordinationStep): Lease<CoordinationStep> => ({ id, token: 1, attempts: 1, payload });

/** Delivers what a step sends the orders service to it, as the relay does. */
async function deliverToOrders(messages: readonly NewMessage[]): Promise<void> {
  for (const message of messages.filter((candidate) => candidate.target === 'orders')) {
    const res = await gql(app.url, message.operation, message.variables);
    expect(res.errors).toBeUndefined();
  }
}

const releases = (messages: readonly NewMessage[]) =>
  messages.filter((message) => message.target === 'inventory').map((message) => (message.variables as { distributionCenter: string }).distributionCenter);
const closes = (messages: readonly NewMessage[]) => messages.filter((message) => message.operation.includes('closeException'));
const shipmentMoves = (messages: readonly NewMessage[]) =>
  messages
    .filter((message) => message.target === 'tracking')
    .flatMap((message) => (message.variables as { input: { elementType: string; from: string; to: string; node: string }[] }).input)
    .filter((t) => t.elementType === 'SHIPMENT')
    .map((t) => `${t.from}>${t.to}@${t.node}`);
const sentToStages = (messages: readonly NewMessage[]) => messages.filter((message) => ['picking', 'rebin', 'shipping'].includes(message.target));

describe("a customer's cancellation of a shipment the orders service holds between two stages", () => {
  it('pulls a parked step and a waiting one, closes the parked one’s exception, gives their stock back and settles the cancellation', async () => {
    const { id, book, lamp } = await orderBetweenStages();
    await park(forwardStepId('picking', book));
    const { cancellation } = await requestCancellation({ orderId: id, reason: 'changed my mind', idempotencyKey: `pulled-${id}` }, store);
    expect(cancellation.scope).toEqual([book, lamp]);
    const coordinator = createCoordinator(store, noInventory);

    // The publication step pulls the parked one: no worker will run it.
    await coordinator.handleStep(leaseOf(`cancellation:${cancellation.id}`, { kind: 'cancellation', orderId: id, cancellationId: cancellation.id }));
    const parked = (await store.coordination.get(forwardStepId('picking', book)))!;
    expect(parked.status).toBe('CANCELLED');
    const pulled = asSent(parked.outbox);
    // Its exception closes, for the same occurrence it was raised with.
    const raise = parked.outbox.find((message) => message.operation.includes('raiseException'))!;
    const [close] = closes(pulled);
    expect(close).toBeDefined();
    expect((close!.variables as { input: { id: string; occurrence: number } }).input).toMatchObject({
      queue: 'coordination',
      elementId: forwardStepId('picking', book),
      occurrence: (variablesOf(raise) as { input: { occurrence: number } }).input.occurrence,
    });
    expect(releases(pulled)).toEqual(['LHR1']);
    // Picking told tracking the shipment moved on to shipping when it handed it back: it is pulled from there.
    expect(shipmentMoves(pulled)).toEqual(['SHIPPING>CANCELLED@orders']);

    // The waiting one pulls itself when it runs, instead of going on to a stage.
    const lampStep = (await store.coordination.get(forwardStepId('picking', lamp)))!;
    const ran = await coordinator.handleStep(leaseOf(lampStep._id, lampStep.payload));
    expect(sentToStages(ran.messages ?? [])).toEqual([]);
    expect(releases(ran.messages ?? [])).toEqual(['FRA1']);
    expect(closes(ran.messages ?? [])).toEqual([]);

    // Both report to orders (twice: a redelivery records nothing new), and the cancellation is settled.
    await deliverToOrders([...pulled, ...(ran.messages ?? [])]);
    await deliverToOrders([...pulled, ...(ran.messages ?? [])]);
    const order = (await store.findById(new ObjectId(id)))!;
    expect(order.cancellation!.outcomes.map(({ elementId, node, result, detail }) => ({ elementId, node, result, detail }))).toEqual([
      { elementId: book, node: 'orders', result: 'APPLIED', detail: 'pulled at orders on its way from picking, parked in exceptions' },
      { elementId: lamp, node: 'orders', result: 'APPLIED', detail: 'pulled at orders on its way from picking' },
    ]);
    expect(order.cancellation!.concludedAt).toBeInstanceOf(Date);
    expect(order.status).toBe('CANCELLED');
    expect(order.cancellation!.refund?.amount).toEqual({ amount: 4900, currency: 'GBP' });
  });

  it('leaves the steps of an order without a cancellation, and a shipment a stage already answered for, alone', async () => {
    const { id, book, lamp } = await orderBetweenStages();
    await park(forwardStepId('picking', book));
    const coordinator = createCoordinator(store, noInventory);
    const lampStep = (await store.coordination.get(forwardStepId('picking', lamp)))!;
    // No cancellation: routed on to the next stage as before.
    const ran = await coordinator.handleStep(leaseOf(lampStep._id, lampStep.payload));
    expect(sentToStages(ran.messages ?? []).map((message) => message.target)).toEqual(['shipping']);

    const { cancellation } = await requestCancellation({ orderId: id, reason: 'changed my mind', idempotencyKey: `answered-${id}` }, store);
    // Shipping already answered for the book (say it was retried by a person and went on meanwhile).
    const answered = await gql(
      app.url,
      `mutation($input: CancellationOutcomeInput!) { recordCancellationOutcome(input: $input) }`,
      { input: { cancellationId: cancellation.id, orderId: id, elementId: book, node: 'shipping', result: 'REJECTED', detail: 'too late' } },
    );
    expect(answered.errors).toBeUndefined();
    await coordinator.handleStep(leaseOf(`cancellation:${cancellation.id}`, { kind: 'cancellation', orderId: id, cancellationId: cancellation.id }));
    expect((await store.coordination.get(forwardStepId('picking', book)))!.status).toBe('FAILED');
  });
});

describe("a customer's cancellation of a shipment whose hand-off from orders a stage refused", () => {
  /** An element of `queue` done here with these messages, the first `refused` of them refused by their receivers, as the relay records it. */
  async function doneWithRefusals(queue: OrderStore['coordination'], id: string, payload: CoordinationStep, messages: NewMessage[], refused: number) {
    await queue.enqueue(id, payload);
    const lease = await queue.leaseById(id, 'test-worker');
    expect(await queue.complete(lease!, { messages })).toBe(true);
    const done = (await queue.get(id))!;
    const refusedIds = done.outbox.slice(0, refused).map((message) => message.id);
    await queue.recordDeliveries(id, new Map(refusedIds.map((messageId) => [messageId, 'refused: the shipment is not valid'])), new Set(refusedIds), done);
    return (await queue.get(id))!;
  }

  /** The customer cancels the order, and the cancellation's step runs, as the coordinator runs it. */
  async function cancelNow(id: string, key: string) {
    const { cancellation } = await requestCancellation({ orderId: id, reason: 'changed my mind', idempotencyKey: `${key}-${id}` }, store);
    await createCoordinator(store, noInventory).handleStep(leaseOf(`cancellation:${cancellation.id}`, { kind: 'cancellation', orderId: id, cancellationId: cancellation.id }));
    return cancellation;
  }

  /** An order still being charged: a cancellation stops it as a whole. */
  async function chargingOrder() {
    const _id = new ObjectId();
    await storeTestOrder(store, { _id, status: 'CHARGING', stage: 'payments', chargeId: null });
    return _id.toHexString();
  }

  it('pulls it at orders: it never reached a stage, so its exception closes, its stock goes back and the cancellation settles', async () => {
    const { id, book, lamp } = await orderBetweenStages();
    const [bookShipment, lampShipment] = [shipmentOf(id, 'LHR1', 'BOOK-001'), shipmentOf(id, 'FRA1', 'LAMP-001')];
    // The step that split the order handed both shipments to picking, which refused the book's and took the lamp's.
    const stepId = `reserve:${id}`;
    const waiting = await doneWithRefusals(store.coordination, stepId, { kind: 'reserve', orderId: id }, [sendTo('picking', bookShipment), sendTo('picking', lampShipment)], 1);
    expect(waiting.outbox.find((message) => message.operation.includes('raiseException'))).toBeDefined();
    const cancellation = await cancelNow(id, 'refused');

    const pulled = (await store.coordination.get(stepId))!;
    expect(pulled.outbox.filter((message) => message.refused)).toEqual([]);
    const sent = asSent(pulled.outbox.slice(waiting.outbox.length));
    expect(closes(sent)).toHaveLength(1);
    expect(releases(sent)).toEqual(['LHR1']);
    expect(shipmentMoves(sent)).toEqual(['PICKING>CANCELLED@orders']);
    // Picking answers for the lamp it took; orders for the book.
    await deliverToOrders(sent);
    await gql(app.url, `mutation($input: CancellationOutcomeInput!) { recordCancellationOutcome(input: $input) }`, {
      input: { cancellationId: cancellation.id, orderId: id, elementId: lamp, node: 'picking', result: 'APPLIED', detail: 'pulled at picking while queued' },
    });
    const order = (await store.findById(new ObjectId(id)))!;
    expect(order.cancellation!.outcomes.find((outcome) => outcome.elementId === book)).toMatchObject({ node: 'orders', result: 'APPLIED', detail: 'pulled at orders, where its hand-off to picking was refused' });
    expect(order.cancellation!.concludedAt).toBeInstanceOf(Date);
    expect(order.cancellation!.refund?.amount).toEqual({ amount: 4900, currency: 'GBP' });
    // Nothing is left for a person to send again.
    expect(await store.coordination.resolveRefused(stepId, 'RETRY')).toBe(false);
  });

  it("pulls it as well when the refusal comes after the cancellation's step ran (the hand-off was still on its way)", async () => {
    pullRefusedWhenRecorded(store);
    const { id, book } = await orderBetweenStages();
    await cancelNow(id, 'late');
    const stepId = `reserve:${id}`;
    const waiting = await doneWithRefusals(store.coordination, stepId, { kind: 'reserve', orderId: id }, [sendTo('picking', shipmentOf(id, 'LHR1', 'BOOK-001'))], 1);
    expect(waiting.outbox.filter((message) => message.refused)).toEqual([]);
    const sent = asSent(waiting.outbox.filter((message) => message.id.startsWith('cancellation-outcome:')));
    expect(sent.map((message) => (message.variables as { input: { elementId: string; detail: string } }).input)).toMatchObject([{ elementId: book, detail: 'pulled at orders, where its hand-off to picking was refused' }]);
    expect(closes(asSent(waiting.outbox))).toHaveLength(1);
  });

  it('leaves for its person an element with any other refusal (not a hand-off of a shipment the cancellation waits for)', async () => {
    const { id } = await orderBetweenStages();
    const stepId = `reserve:${id}`;
    const other: NewMessage = { id: `release:${id}`, target: 'inventory', operation: 'mutation { releaseReservation }', variables: {} };
    const waiting = await doneWithRefusals(store.coordination, stepId, { kind: 'reserve', orderId: id }, [other], 1);
    await cancelNow(id, 'other');
    expect((await store.coordination.get(stepId))!.outbox).toEqual(waiting.outbox);
  });

  it('leaves a refused refund of an order stopped as a whole for its person: only what would have moved the order on is given up', async () => {
    const id = await chargingOrder();
    const stepId = `late-refund:${id}`;
    const refund: NewMessage = { id: `refund:${id}`, target: 'payments', operation: 'mutation RequestRefund { requestRefund }', variables: {} };
    const waiting = await doneWithRefusals(store.coordination, stepId, { kind: 'charge', orderId: id }, [refund], 1);
    await cancelNow(id, 'refund');
    expect((await store.coordination.get(stepId))!.outbox).toEqual(waiting.outbox);
  });

  it('gives up every refused hand-off of an order stopped as a whole (a charge request), and closes its exception', async () => {
    const id = await chargingOrder();
    const stepId = `charge:${id}:1`;
    const charge: NewMessage = { id: `charge:${id}:1`, target: 'payments', operation: operations.requestCharge, variables: {} };
    await doneWithRefusals(store.coordination, stepId, { kind: 'charge', orderId: id }, [charge], 1);
    const { cancellation } = await requestCancellation({ orderId: id, reason: 'changed my mind', idempotencyKey: `whole-${id}` }, store);
    expect(cancellation.outcomes).toMatchObject([{ elementId: id, result: 'APPLIED' }]);
    await createCoordinator(store, noInventory).handleStep(leaseOf(`cancellation:${cancellation.id}`, { kind: 'cancellation', orderId: id, cancellationId: cancellation.id }));
    const given = (await store.coordination.get(stepId))!;
    expect(given.outbox.filter((message) => message.refused)).toEqual([]);
    expect(closes(asSent(given.outbox))).toHaveLength(1);
    expect(given.outbox.find((message) => message.id === charge.id)).toMatchObject({ delivered: false, abandoned: true });
  });
});
