import { afterAll, beforeAll } from 'vitest';
import type { ShipmentPayload } from '../../pipeline/messages.ts';
import { serve, silentLogger, testTokens, TestDatabases, type RunningApp } from '../../test/harness.ts';
import { buildShippingService } from './server.ts';
import type { ShippingStore } from './store.ts';

/**
 * The shipping service on its own (real FerretDB, real HTTP), for the tests of what meets a
 * shipment a worker holds: address changes and cancellations. Call at a test file's top level.
 */
export function shippingServiceForRaces(dbName: string) {
  const dbs = new TestDatabases();
  const running = {} as { app: RunningApp; store: ShippingStore };
  beforeAll(async () => {
    const service = await buildShippingService({ db: await dbs.create(dbName), logger: silentLogger, tokens: testTokens });
    running.store = service.store;
    running.app = await serve(service.handler);
  });
  afterAll(async () => {
    await running.app?.close();
    await dbs.cleanup();
  });
  return running;
}

/** A fresh single-line shipment at LHR1, its ids starting with `prefix`. */
export function shipmentMaker(prefix: string, address: ShipmentPayload['address']) {
  let counter = 0;
  return (): ShipmentPayload => {
    const n = ++counter;
    return {
      shipmentId: `${prefix}${n}-LHR1`,
      orderId: `${prefix}${n}`,
      reservationId: `${prefix}${n}`,
      distributionCenter: 'LHR1',
      shippingMethod: 'STANDARD',
      lines: [{ sku: 'BOOK-001', title: 'Book', quantity: 1, weightGrams: 500, bin: 'A-01' }],
      address,
      addressVersion: 0,
      picklistId: null,
    };
  };
}
