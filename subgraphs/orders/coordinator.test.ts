import { ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphQLClient } from '../../kit/graphql-client.ts';
import type { Lease, NewMessage } from '../../kit/queue.ts';
import type { ChargeResultPayload } from '../../pipeline/messages.ts';
import { serve, silentLogger, testCredentials, TestDatabases, testTokens } from '../../test/harness.ts';
import { serviceClients } from '../../pipeline/services.ts';
import { buildInventoryService } from '../inventory/server.ts';
import { requestCancellation } from './cancellations.ts';
import { createCoordinator } from './coordinator.ts';
import { changedJustAfterRead, startOrdersServiceAlone, storeTestOrder } from './service-alone.ts';
import { chargingOnPlacement, type CoordinationStep, type OrderDoc, type OrderStore } from './store.ts';

// What the coordinator does with a charge that lands on an order the customer cancelled, with
// the cancellation written at the worst moment: after the coordinator read the order, before it
// moved it on. Against the real database; inventory is never asked (the order is cancelled).

const dbs = new TestDatabases();
let store: OrderStore;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ store, close } = await startOrdersServiceAlone(dbs, 'orders_coordinator'));
});
afterAll(async () => {
  await close();
  await dbs.cleanup();
});

const noInventory = {
  request: () => Promise.reject(new Error('inventory must not be asked for a cancelled order')),
} as unknown as GraphQLClient;

/** An order whose charge was asked for and has not landed yet. */
async function orderBeingCharged(): Promise<string> {
  const order = await storeTestOrder(store, {
    status: 'CHARGING',
    stage: 'payments',
    chargeId: null,
    lines: [{ sku: 'BOOK-001', title: 'Book', weightGrams: 500, quantity: 2, unitPrice: { amount: 1000, currency: 'GBP' } }],
    total: { amount: 2000, currency: 'GBP' },
  });
  return order._id.toHexString();
}

const chargeLanded = (orderId: string, chargeId: string): Lease<ChargeResultPayload> => ({
  id: `result:${orderId}:charge:1`,
  token: 1,
  attempts: 1,
  payload: { requestId: `${orderId}:charge:1`, orderId, outcome: 'APPROVED', chargeId, amount: { amount: 2000, currency: 'GBP' } },
});

const refundsAskedFor = (messages: NewMessage[] = []) =>
  messages.filter((message) => message.target === 'payments').map((message) => (message.variables as { input: { chargeId: string; amount: { amount: number } } }).input);
const transitionsTold = (messages: NewMessage[] = []) =>
  messages.filter((message) => message.target === 'tracking').flatMap((message) => (message.variables as { input: { from: string; to: string }[] }).input.map((t) => `${t.from}>${t.to}`));

describe('a charge that lands on a cancelled order', () => {
  it('is refunded in full, and the cancellation says so, when the cancellation was written while the charge was being recorded', async () => {
    const orderId = await orderBeingCharged();
    const cancel = () => requestCancellation({ orderId, reason: 'changed my mind', idempotencyKey: `race-${orderId}` }, store);
    const coordinator = createCoordinator(changedJustAfterRead(store, cancel), noInventory);

    const outcome = await coordinator.handleChargeResult(chargeLanded(orderId, 'ch_race'));

    expect(refundsAskedFor(outcome.messages)).toEqual([expect.objectContaining({ chargeId: 'ch_race', amount: { amount: 2000, currency: 'GBP' } })]);
    expect(transitionsTold(outcome.messages)).not.toContain('CHARGING>RESERVING');
    const order = (await store.findById(new ObjectId(orderId)))!;
    expect(order.status).toBe('CANCELLED');
    expect(order.chargeId).toBe('ch_race');
    expect(order.cancellation?.refund).toMatchObject({ chargeId: 'ch_race', amount: { amount: 2000 } });

    // Run again (a redelivered result): the same refund, by the same id, nothing new recorded.
    const again = await createCoordinator(store, noInventory).handleChargeResult(chargeLanded(orderId, 'ch_race'));
    expect(again.messages?.map((message) => message.id)).toEqual(outcome.messages?.map((message) => message.id));
  });

  it('is refunded in full when a person stopped the order from exceptions while it was charged', async () => {
    const orderId = await orderBeingCharged();
    await store.change(new ObjectId(orderId), () => ({ status: 'CANCELLED', stage: null, transition: { detail: 'stopped' } }));

    const outcome = await createCoordinator(store, noInventory).handleChargeResult(chargeLanded(orderId, 'ch_stop'));

    expect(refundsAskedFor(outcome.messages)).toEqual([expect.objectContaining({ refundId: `${orderId}-stopped`, chargeId: 'ch_stop', amount: { amount: 2000, currency: 'GBP' } })]);
    expect((await store.findById(new ObjectId(orderId)))!.chargeId).toBe('ch_stop');
  });
});

describe('a retry of an order that is out of stock', () => {
  it('tells nothing and raises no exception when the order was cancelled while inventory answered that stock is still short', async () => {
    // A real inventory service, which has none of the sku.
    const inventoryService = await buildInventoryService({ db: await dbs.create('orders_coordinator_inventory'), logger: silentLogger, tokens: testTokens });
    const inventoryApp = await serve(inventoryService.handler);
    try {
      const inventory = serviceClients(testCredentials('orders'), { inventory: inventoryApp.url }).get('inventory')!;
      const order = await storeTestOrder(store, {
        status: 'OUT_OF_STOCK',
        stage: 'exceptions',
        lines: [{ sku: 'NONE-001', title: 'Nothing', weightGrams: 100, quantity: 1, unitPrice: { amount: 1000, currency: 'GBP' } }],
      });
      const orderId = order._id.toHexString();
      // Support retries it; the customer cancels just after the coordinator read the order.
      const cancel = () => requestCancellation({ orderId, reason: 'changed my mind', idempotencyKey: `oos-${orderId}` }, store);
      const coordinator = createCoordinator(changedJustAfterRead(store, cancel), inventory);
      const lease: Lease<CoordinationStep> = { id: `reserve:${orderId}:1`, token: 1, attempts: 1, payload: { kind: 'reserve', orderId } };

      const outcome = await coordinator.handleStep(lease);

      expect((await store.findById(order._id))!.status).toBe('CANCELLED');
      expect(transitionsTold(outcome.messages)).toEqual([]);
      expect((outcome.messages ?? []).filter((message) => message.target === 'exceptions')).toEqual([]);
    } finally {
      await inventoryApp.close();
    }
  });
});

describe("an order's first charge step that runs after its charge's result", () => {
  it('leaves a declined order declined, asks payments nothing, and tells tracking the placement\'s moves it did not take', async () => {
    // placeOrder stored it CHARGING and payments took the request, but tracking did not take the
    // moves, so the first step was enqueued; payments declined, and orders recorded that first.
    const placed = await storeTestOrder(store, { ...chargingOnPlacement({ _id: new ObjectId(), version: 0, placedAt: new Date() } as OrderDoc), chargeId: null });
    const orderId = placed._id.toHexString();
    const coordinator = createCoordinator(store, noInventory);
    await coordinator.handleChargeResult({
      id: `result:${orderId}:charge:1`,
      token: 1,
      attempts: 1,
      payload: { requestId: `${orderId}:charge:1`, orderId, outcome: 'DECLINED', declineReason: 'card_declined', chargeId: 'ch_declined', amount: { amount: 1000, currency: 'GBP' } },
    });
    expect((await store.findById(placed._id))!.status).toBe('PAYMENT_DECLINED');

    const step = await coordinator.handleStep({ id: `charge:${orderId}:1`, token: 1, attempts: 1, payload: { kind: 'charge', orderId } });

    // Before, it moved the order back to CHARGING and asked again by the same id, which payments
    // answers no more: the order waited in CHARGING for good, and its exception could not be retried.
    const order = (await store.findById(placed._id))!;
    expect(order).toMatchObject({ status: 'PAYMENT_DECLINED', chargeAttempts: 1 });
    expect((step.messages ?? []).filter((message) => message.target === 'payments')).toEqual([]);
    expect(transitionsTold(step.messages)).toEqual(['null>PLACED', 'PLACED>CHARGING']);
    expect(order.transitionsUnsent).toBeUndefined();
  });
});
