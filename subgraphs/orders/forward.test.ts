import { ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphQLClient } from '../../kit/graphql-client.ts';
import type { ShipmentPayload } from '../../pipeline/messages.ts';
import { gql, serve, silentLogger, TestDatabases, testTokens, type RunningApp } from '../../test/harness.ts';
import { buildTrackingService } from '../tracking/server.ts';
import { createCoordinator } from './coordinator.ts';
import { startOrdersServiceAlone, storeTestOrder } from './service-alone.ts';
import type { OrderStore } from './store.ts';

// Directed routing: a stage hands a shipment back to the coordinator, which routes it on with the
// order's latest address and applies a change kept for it. The next stage tells tracking of its
// own moves at once, so the coordinator must have told tracking of the change before it hands the
// shipment on: a subscriber heard the parcel shipped, then its address changed. A real tracking
// service; the orders service alone, as the worker's coordinator uses it.

const dbs = new TestDatabases();
let tracking: Awaited<ReturnType<typeof buildTrackingService>>;
let trackingApp: RunningApp;
let app: RunningApp;
let store: OrderStore;
let close: () => Promise<void>;

beforeAll(async () => {
  tracking = await buildTrackingService({ db: await dbs.create('tracking_forward'), logger: silentLogger, tokens: testTokens });
  trackingApp = await serve(tracking.handler);
  ({ app, store, close } = await startOrdersServiceAlone(dbs, 'orders_forward', { trackingUrl: trackingApp.url }));
});
afterAll(async () => {
  await close();
  await trackingApp.close();
  await tracking.close();
  await dbs.cleanup();
});

const noInventory = { request: () => Promise.reject(new Error('inventory is not asked when a shipment is routed')) } as unknown as GraphQLClient;
const address = (line1: string) => ({ name: 'Ada Lovelace', line1, city: 'Manchester', postalCode: 'M1 1AE', country: 'GB' });

describe('the coordinator routing a shipment on (directed routing)', () => {
  it('has told tracking that it applied the change kept for the shipment before it hands the shipment on', async () => {
    const _id = new ObjectId();
    const orderId = _id.toHexString();
    const shipmentId = `${orderId}-LHR1`;
    await storeTestOrder(store, { _id, status: 'PICKING', stage: 'picking', shippingAddress: address('1 Old Road'), shipments: [{ shipmentId, distributionCenter: 'LHR1', status: 'PICKING', detail: null }] });
    const asked = await gql(app.url, `mutation($input: ChangeShippingAddressInput!) { changeShippingAddress(input: $input) { id status } }`, {
      input: { orderId, address: address('2 New Road'), mode: 'COORDINATOR' },
    });
    expect(asked.data?.changeShippingAddress).toMatchObject({ status: 'PENDING' });
    const changeId = asked.data!.changeShippingAddress.id as string;
    const shipment: ShipmentPayload = {
      shipmentId,
      orderId,
      reservationId: orderId,
      distributionCenter: 'LHR1',
      shippingMethod: 'STANDARD',
      lines: [{ sku: 'BOOK-001', title: 'Book', quantity: 1, weightGrams: 500, bin: 'A-01' }],
      address: address('1 Old Road'),
      addressVersion: 0,
      picklistId: 'pl-1',
      handedOver: null,
    };

    const step = await createCoordinator(store, noInventory).handleStep({ id: `forward:picking:${shipmentId}`, token: 1, attempts: 1, payload: { kind: 'forward', stage: 'picking', shipment } });

    // What the step hands on: the shipment, to shipping, with the new address, and nothing that
    // would reach tracking only beside it.
    expect(step.messages?.map((message) => message.target)).toEqual(['shipping']);
    expect((step.messages![0]!.variables as { shipment: ShipmentPayload }).shipment.address.line1).toBe('2 New Road');
    const told = await gql(trackingApp.url, `query($id: ID!) { transitions(elementId: $id) { to node detail } }`, { id: changeId });
    expect(told.data?.transitions).toEqual([{ to: 'CHANGE_APPLIED', node: 'orders', detail: 'applied by the coordinator when it routed the shipment from picking to shipping' }]);
  });
});
