import { ObjectId } from 'mongodb';
import { readItem, variablesOf } from '../../kit/queue.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, TestDatabases, type RunningApp } from '../../test/harness.ts';
import { recordCancellationOutcome, requestCancellation } from './cancellations.ts';
import { bookAndLamp, changedJustAfterRead, startOrdersServiceAlone, storeTestOrder } from './service-alone.ts';
import { resolvers } from './resolvers.ts';
import type { OrderStore } from './store.ts';

// An order a person stops from exceptions after its split (`stopOrder`, sent by the stage where
// they cancelled a parked shipment): what it asks payments to refund, read from the orders
// service's outbox, against the real database, with no other service running.

const dbs = new TestDatabases();
let app: RunningApp;
let store: OrderStore;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ app, store, close } = await startOrdersServiceAlone(dbs, 'orders_stops'));
});
afterAll(async () => {
  await close();
  await dbs.cleanup();
});

/** A charged order of a 1000 GBP book from LHR1 and a 3900 GBP lamp from FRA1, both shipments in picking. */
async function splitOrder(): Promise<{ id: string; book: string; lamp: string }> {
  const _id = new ObjectId();
  const id = _id.toHexString();
  const [book, lamp] = [`${id}-LHR1`, `${id}-FRA1`];
  await storeTestOrder(store, {
    _id,
    status: 'PICKING',
    stage: 'picking',
    ...bookAndLamp,
    shipments: [
      { shipmentId: book, distributionCenter: 'LHR1', status: 'PICKING', detail: null, lines: [{ sku: 'BOOK-001', quantity: 1 }] },
      { shipmentId: lamp, distributionCenter: 'FRA1', status: 'PICKING', detail: null, lines: [{ sku: 'LAMP-001', quantity: 1 }] },
    ],
  });
  return { id, book, lamp };
}

const stop = async (orderId: string, shipmentId: string) => {
  const res = await gql(app.url, `mutation($orderId: ID!, $shipmentId: ID!) { stopOrder(orderId: $orderId, reason: "parked at picking", shipmentId: $shipmentId) }`, { orderId, shipmentId });
  expect(res.errors).toBeUndefined();
};

/** Every refund the outbox holds for payments about this order, as refund id → amount. */
async function refundsAskedFor(orderId: string): Promise<Record<string, number>> {
  const posted = [...(await store.reports.items.find({}).toArray()), ...(await store.reports.finished.find({}).toArray())];
  const asked = posted
    .flatMap((item) => readItem(item).outbox)
    .filter((message) => message.target === 'payments')
    .map((message) => (variablesOf(message) as { input: { refundId: string; orderId: string; amount: { amount: number } } }).input)
    .filter((input) => input.orderId === orderId);
  return Object.fromEntries(asked.map((input) => [input.refundId, input.amount.amount]));
}

describe('an order stopped from exceptions after its split', () => {
  it("refunds what each shipment the person cancelled was charged for, once, and nothing of what still ships", async () => {
    const { id, book, lamp } = await splitOrder();

    await stop(id, book);
    await stop(id, book); // the stage's message delivered again

    expect(await refundsAskedFor(id)).toEqual({ [`${book}-stopped`]: 1000 });
    const order = (await store.findById(new ObjectId(id)))!;
    expect(order.status).toBe('CANCELLED');
    expect(order.shipments.map((shipment) => [shipment.shipmentId, shipment.status])).toEqual([
      [book, 'CANCELLED'],
      [lamp, 'PICKING'],
    ]);

    // The lamp's shipment is parked and cancelled too: it is refunded as well, the book not again.
    await stop(id, lamp);
    expect(await refundsAskedFor(id)).toEqual({ [`${book}-stopped`]: 1000, [`${lamp}-stopped`]: 3900 });
  });

  it("leaves the refund to a customer's cancellation waiting on the order, which takes the stopped shipment as pulled", async () => {
    const { id, book, lamp } = await splitOrder();
    const { cancellation } = await requestCancellation({ orderId: id, reason: 'changed my mind', idempotencyKey: `stop-${id}` }, store);

    // The book's shipment was parked on its way to picking: no stage will answer for it.
    await stop(id, book);

    expect(await refundsAskedFor(id)).toEqual({});
    const waiting = (await store.findById(new ObjectId(id)))!.cancellation!;
    expect(waiting.outcomes).toEqual([expect.objectContaining({ elementId: book, node: 'orders', result: 'APPLIED' })]);
    expect(waiting.concludedAt).toBeNull();

    // Picking pulls the lamp: the cancellation settles and refunds the whole order, once.
    await recordCancellationOutcome(store, id, cancellation.id, { elementId: lamp, node: 'picking', result: 'APPLIED', detail: 'pulled at picking' });
    expect(await refundsAskedFor(id)).toEqual({ [cancellation.id]: 4900 });
  });

  it("stays CANCELLED when the customer's cancellation it settles finds the other shipment gone", async () => {
    const { id, book, lamp } = await splitOrder();
    await store.change(new ObjectId(id), (order) => ({
      status: 'PARTLY_SHIPPED',
      shipments: order.shipments.map((shipment) => (shipment.shipmentId === lamp ? { ...shipment, status: 'SHIPPED' as const } : shipment)),
    }));
    const { cancellation } = await requestCancellation({ orderId: id, reason: 'too slow', idempotencyKey: `late-${id}` }, store);
    expect(cancellation.outcomes).toEqual([expect.objectContaining({ elementId: lamp, result: 'REJECTED' })]);

    await stop(id, book);

    const order = (await store.findById(new ObjectId(id)))!;
    expect(order.status).toBe('CANCELLED');
    expect(order.cancellation!.concludedAt).not.toBeNull();
    expect(await refundsAskedFor(id)).toEqual({ [cancellation.id]: 1000 });
  });
});

describe("a person's retry of a declined order", () => {
  /** An order whose card was declined, waiting for a person on its charge result. */
  async function declinedOrder() {
    const _id = new ObjectId();
    const orderId = _id.toHexString();
    const elementId = `result:${orderId}:charge:1`;
    const raised = { service: 'orders', queue: 'charge-results', elementId, orderId, reason: 'card declined', occurrence: elementId };
    await storeTestOrder(store, { _id, status: 'PAYMENT_DECLINED', stage: 'exceptions', chargeId: null, openException: raised });
    await store.chargeResults.enqueue(elementId, { requestId: `${orderId}:charge:1`, orderId, outcome: 'DECLINED', declineReason: 'card_declined', chargeId: 'ch_declined', amount: { amount: 1000, currency: 'GBP' } });
    return { _id, orderId, elementId };
  }

  it('is CONFLICT, not retried, when the customer cancelled the order as it was being retried', async () => {
    const { _id, orderId, elementId } = await declinedOrder();
    // The customer's cancel lands after the retry read the order, before it enqueued the charge.
    const racing = changedJustAfterRead(store, () => requestCancellation({ orderId, reason: 'changed my mind', idempotencyKey: 'cancel-during-retry' }, store));
    const retry = resolvers.Mutation!.resolveOrdersException as unknown as (parent: unknown, args: Record<string, string>, context: unknown) => Promise<boolean>;

    await expect(retry({}, { queue: 'charge-results', elementId, action: 'RETRY' }, { store: racing })).rejects.toMatchObject({ extensions: { code: 'CONFLICT' } });
    expect((await store.findById(_id))!.status).toBe('CANCELLED');
  });

  it('moves the order to CHARGING as it answers, so that a cancel after it finds the retry made', async () => {
    const { _id, orderId, elementId } = await declinedOrder();
    const retry = resolvers.Mutation!.resolveOrdersException as unknown as (parent: unknown, args: Record<string, string>, context: unknown) => Promise<boolean>;

    expect(await retry({}, { queue: 'charge-results', elementId, action: 'RETRY' }, { store })).toBe(true);
    expect(await store.findById(_id)).toMatchObject({ status: 'CHARGING', chargeAttempts: 2 });
    expect(await store.coordination.get(`charge:${orderId}:2`)).toMatchObject({ payload: { kind: 'charge', orderId } });
  });
});
