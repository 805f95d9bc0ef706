import { serve, silentLogger, testTokens, type RunningApp, type TestDatabases } from '../../test/harness.ts';
import { buildOrdersService } from './server.ts';
import { ObjectId } from 'mongodb';
import type { OrderDoc, OrderStore } from './store.ts';

/**
 * The orders service on a fresh database of its own, served on a free port, for tests that
 * need no other service: the customers, catalog, payments and (unless given) tracking URLs point where nothing answers.
 */
export async function startOrdersServiceAlone(
  dbs: TestDatabases,
  dbName: string,
  { trackingUrl }: { /** A tracking service that answers: the order's transitions go there at once. */ trackingUrl?: string } = {},
): Promise<{ app: RunningApp; store: OrderStore; close(): Promise<void> }> {
  const unused = 'http://127.0.0.1:9/graphql'; // nothing answers: the order's transitions go to its outbox
  const service = await buildOrdersService({
    db: await dbs.create(dbName),
    logger: silentLogger,
    tokens: testTokens,
    customersUrl: unused,
    catalogUrl: unused,
    trackingUrl: trackingUrl ?? unused,
    paymentsUrl: unused,
  });
  const app = await serve(service.handler);
  return {
    app,
    store: service.store,
    async close() {
      await app.close();
      await service.close();
    },
  };
}

/**
 * Stores an order for a test that starts the journey part-way: one line (a 1000 GBP book) for
 * the demo customer Ada, charged (`ch_1`), with no shipments, unless `overrides` says otherwise.
 */
export async function storeTestOrder(store: OrderStore, overrides: Partial<OrderDoc> & Pick<OrderDoc, 'status' | 'stage'>): Promise<OrderDoc> {
  const _id = overrides._id ?? new ObjectId();
  const now = new Date();
  const order: OrderDoc = {
    _id,
    version: 0,
    idempotencyKey: _id.toHexString(),
    requestHash: 'test',
    customerId: '64b000000000000000000001',
    customerEmail: 'ada@example.com',
    lines: [{ sku: 'BOOK-001', title: 'Book', weightGrams: 500, quantity: 1, unitPrice: { amount: 1000, currency: 'GBP' } }],
    total: { amount: 1000, currency: 'GBP' },
    shippingMethod: 'STANDARD',
    shippingAddress: { name: 'Ada Lovelace', line1: '1 Main St', city: 'Manchester', postalCode: 'M1 1AE', country: 'GB' },
    paymentMethod: { id: 'p1', token: 'tok', brand: 'VISA', last4: '4242', expMonth: 12, expYear: 2030 },
    chargeAttempts: 1,
    chargeId: 'ch_1',
    shipments: [],
    placedAt: now,
    updatedAt: now,
    ...overrides,
  };
  await store.insert(order);
  return order;
}

/** The lines of a charged two-centre order: a 1000 GBP book (from LHR1) and a 3900 GBP lamp (from FRA1). */
export const bookAndLamp: Pick<OrderDoc, 'lines' | 'total'> = {
  lines: [
    { sku: 'BOOK-001', title: 'Book', weightGrams: 500, quantity: 1, unitPrice: { amount: 1000, currency: 'GBP' } },
    { sku: 'LAMP-001', title: 'Lamp', weightGrams: 2000, quantity: 1, unitPrice: { amount: 3900, currency: 'GBP' } },
  ],
  total: { amount: 4900, currency: 'GBP' },
};

/**
 * `store`, except that its first read of an order runs `meanwhile` after reading it: a write that
 * lands just after the code under test looked, which its compare-and-swap must notice.
 */
export function changedJustAfterRead(store: OrderStore, meanwhile: () => Promise<unknown>): OrderStore {
  let done = false;
  return new Proxy(store, {
    get(target, property) {
      if (property === 'findById') {
        return async (id: ObjectId) => {
          const order = await target.findById(id);
          if (!done) {
            done = true;
            await meanwhile();
          }
          return order;
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
