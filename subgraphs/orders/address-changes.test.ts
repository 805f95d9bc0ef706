import { ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, gql, TestDatabases, type RunningApp } from '../../test/harness.ts';
import { effectiveShippingAddress, settleRouting, sweepUnpublished } from './address-changes.ts';
import { startOrdersServiceAlone, storeTestOrder } from './service-alone.ts';
import type { OrderStore } from './store.ts';

// The orders service's side of address changes, against its real database and through its
// own GraphQL interface (the one the stages report to). Nothing here needs the other
// services: an asynchronous change is recorded and its publication queued for the worker.

const dbs = new TestDatabases();
let app: RunningApp;
let store: OrderStore;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ app, store, close } = await startOrdersServiceAlone(dbs, 'orders_changes'));
});
afterAll(async () => {
  await close();
  await dbs.cleanup();
});

const address = (line1: string) => ({ name: 'Ada Lovelace', line1, city: 'Manchester', postalCode: 'M1 1AE', country: 'GB' });

/** An order already split into one shipment, as the coordinator leaves it in picking. */
async function orderInPicking(): Promise<{ id: string; shipmentId: string }> {
  const _id = new ObjectId();
  const id = _id.toHexString();
  const shipmentId = `${id}-LHR1`;
  await storeTestOrder(store, {
    _id,
    status: 'PICKING',
    stage: 'picking',
    shippingAddress: address('1 Old Road'),
    shipments: [{ shipmentId, distributionCenter: 'LHR1', status: 'PICKING', detail: null }],
  });
  return { id, shipmentId };
}

const CHANGE = 'id status outcomes { elementId node result detail }';

async function change(orderId: string, line1: string, mode = 'ASYNCHRONOUS', idempotencyKey?: string) {
  return gql(app.url, `mutation($input: ChangeShippingAddressInput!) { changeShippingAddress(input: $input) { ${CHANGE} } }`, {
    input: { orderId, address: address(line1), mode, idempotencyKey },
  });
}

async function changeOf(id: string) {
  return (await gql(app.url, `query($id: ID!) { addressChange(id: $id) { ${CHANGE} } }`, { id })).data!.addressChange;
}

const report = (input: Record<string, unknown>) =>
  gql(app.url, `mutation($input: AddressChangeOutcomeInput!) { recordAddressChangeOutcome(input: $input) }`, { input });

describe('address changes at the orders service', () => {
  it('settles a change that a later one overtook on its way to the shipment as superseded, not pending for ever', async () => {
    const { id, shipmentId } = await orderInPicking();
    const first = (await change(id, '2 First Street')).data!.changeShippingAddress.id;
    const second = (await change(id, '3 Second Street')).data!.changeShippingAddress.id;
    // The shipment went from the address it was placed with (version 0) straight to the second change.
    expect((await report({ changeId: second, orderId: id, elementId: shipmentId, node: 'rebin', result: 'APPLIED', detail: 'applied at rebin while queued', fromVersion: 0 })).errors).toBeUndefined();
    expect(await changeOf(second)).toMatchObject({ status: 'APPLIED', outcomes: [{ node: 'rebin', result: 'APPLIED' }] });
    expect(await changeOf(first)).toMatchObject({ status: 'REJECTED', outcomes: [{ elementId: shipmentId, node: 'orders', result: 'REJECTED', detail: `superseded by a later change (${second})` }] });
    // The first change's own report, arriving late, does not overwrite that.
    await report({ changeId: first, orderId: id, elementId: shipmentId, node: 'picking', result: 'REJECTED', detail: 'superseded by a later change' });
    expect((await changeOf(first)).outcomes).toHaveLength(1);
  });

  it('settles the changes an application skipped also when the change already had an answer (a synchronous call that found the shipment past it)', async () => {
    const { id, shipmentId } = await orderInPicking();
    const skipped = (await change(id, '2 Skipped Street', 'COORDINATOR')).data!.changeShippingAddress.id;
    const applied = (await change(id, '3 Applied Avenue', 'COORDINATOR')).data!.changeShippingAddress.id;
    // The stage's direct answer came first (the shipment had moved past the change by then)...
    await report({ changeId: applied, orderId: id, elementId: shipmentId, node: 'picking', result: 'REJECTED', detail: 'superseded by a later change' });
    // ...and then the report of the same change's publication, which applied it from version 0.
    await report({ changeId: applied, orderId: id, elementId: shipmentId, node: 'picking', result: 'APPLIED', detail: 'applied at picking while queued', fromVersion: 0 });
    expect(await changeOf(applied)).toMatchObject({ outcomes: [{ result: 'REJECTED', detail: 'superseded by a later change' }] });
    // The change it skipped is no longer pending for good.
    expect(await changeOf(skipped)).toMatchObject({ status: 'REJECTED', outcomes: [{ elementId: shipmentId, node: 'orders', result: 'REJECTED', detail: `superseded by a later change (${applied})` }] });
  });

  it('lets the coordinator apply only the latest change it routes with: an earlier one was superseded, and one recorded after it read the order stays pending', async () => {
    const { id, shipmentId } = await orderInPicking();
    const earlier = (await change(id, '3 Earlier Road', 'COORDINATOR')).data!.changeShippingAddress.id;
    const first = (await change(id, '4 Routed Road', 'COORDINATOR')).data!.changeShippingAddress.id;
    const read = (await store.findById(new ObjectId(id)))!; // the coordinator reads the order (version 2)...
    const second = (await change(id, '5 Later Lane', 'COORDINATOR')).data!.changeShippingAddress.id; // ...a change comes in...
    await settleRouting(store, read, [shipmentId], read.addressVersion ?? 0, 'in a test'); // ...and it routes what it read.
    expect(await changeOf(earlier)).toMatchObject({ status: 'REJECTED', outcomes: [{ node: 'orders', result: 'REJECTED', detail: `superseded by a later change (${first})` }] });
    expect(await changeOf(first)).toMatchObject({ status: 'APPLIED', outcomes: [{ node: 'orders', result: 'APPLIED' }] });
    expect(await changeOf(second)).toMatchObject({ status: 'PENDING', outcomes: [] });
  });

  it('lets the coordinator settle only the changes it routes with: one recorded after it read the order stays pending', async () => {
    const { id, shipmentId } = await orderInPicking();
    const first = (await change(id, '4 Routed Road', 'COORDINATOR')).data!.changeShippingAddress.id;
    const read = (await store.findById(new ObjectId(id)))!; // the coordinator reads the order (version 1)...
    const second = (await change(id, '5 Later Lane', 'COORDINATOR')).data!.changeShippingAddress.id; // ...a change comes in...
    await settleRouting(store, read, [shipmentId], read.addressVersion ?? 0, 'in a test'); // ...and it routes what it read.
    expect(await changeOf(first)).toMatchObject({ status: 'APPLIED', outcomes: [{ node: 'orders', result: 'APPLIED' }] });
    expect(await changeOf(second)).toMatchObject({ status: 'PENDING', outcomes: [] });
  });

  it('rejects changes still pending for a shipment a stop pulls, and leaves those of one that still goes out to whoever routes or holds it', async () => {
    const { id, shipmentId } = await orderInPicking();
    const pending = (await change(id, '6 Cancel Close', 'COORDINATOR')).data!.changeShippingAddress.id;
    const stop = `mutation($orderId: ID!, $shipmentId: ID) { stopOrder(orderId: $orderId, reason: "test", shipmentId: $shipmentId) }`;
    // The order stopped, its shipment not: it is with picking and still goes out, and the
    // coordinator, routing it on, may yet apply the change (so it is not rejected).
    expect((await gql(app.url, stop, { orderId: id })).errors).toBeUndefined();
    expect(await changeOf(pending)).toMatchObject({ status: 'PENDING', outcomes: [] });
    expect(codes(await change(id, '7 After Avenue'))).toEqual(['CONFLICT']);
    // The shipment pulled too: it goes nowhere, and neither does the change.
    expect((await gql(app.url, stop, { orderId: id, shipmentId })).errors).toBeUndefined();
    expect(await changeOf(pending)).toMatchObject({ status: 'REJECTED', outcomes: [{ elementId: shipmentId, result: 'REJECTED', detail: 'the shipment was cancelled' }] });
  });

  it('publishes a change whose request died after recording it and before publishing it', async () => {
    const { id } = await orderInPicking();
    const changeId = `${id}-0123456789ab`;
    await store.notePublication(changeId, id);
    await store.change(new ObjectId(id), (order) => ({
      addressVersion: 1,
      addressChanges: [
        { id: changeId, version: 1, mode: 'ASYNCHRONOUS', address: address('8 Crash Court'), idempotencyKey: null, requestedAt: new Date(), scope: order.shipments.map((s) => s.shipmentId), outcomes: [] },
      ],
    }));
    expect(await store.coordination.get(`address-change:${changeId}`)).toBeNull();
    await sweepUnpublished(store, { recordedBefore: new Date(Date.now() + 60_000), givenUpBefore: new Date(0) });
    expect(await store.coordination.get(`address-change:${changeId}`)).toMatchObject({ status: 'READY', payload: { kind: 'address-change', changeId } });
  });

  it('publishes a change or cancellation whose request died before publishing it when the client retries it, without waiting for the sweep', async () => {
    const { id, shipmentId } = await orderInPicking();
    const changeId = `${id}-0123456789ac`;
    const cancellationId = `${id}-cancel-0123456789ac`;
    // Both recorded by requests that died before they enqueued the publication.
    await store.notePublication(changeId, id);
    await store.notePublication(cancellationId, id);
    await store.change(new ObjectId(id), () => ({
      addressVersion: 1,
      addressChanges: [
        { id: changeId, version: 1, mode: 'ASYNCHRONOUS', address: address('9 Retry Row'), idempotencyKey: 'change-retried', requestedAt: new Date(), scope: [shipmentId], outcomes: [] },
      ],
      cancellation: { id: cancellationId, reason: 'changed my mind', idempotencyKey: 'cancel-retried', requestedAt: new Date(), scope: [shipmentId], outcomes: [], concludedAt: null, refund: null, closesException: null },
    }));

    const retried = await change(id, '9 Retry Row', 'ASYNCHRONOUS', 'change-retried');
    expect(retried.data!.changeShippingAddress).toMatchObject({ id: changeId, status: 'PENDING' });
    expect(await store.coordination.get(`address-change:${changeId}`)).toMatchObject({ status: 'READY', payload: { kind: 'address-change', changeId } });
    const cancelled = await gql(app.url, `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { id status } }`, {
      input: { orderId: id, reason: 'changed my mind', idempotencyKey: 'cancel-retried' },
    });
    expect(cancelled.data!.cancelOrder).toMatchObject({ id: cancellationId, status: 'PENDING' });
    expect(await store.coordination.get(`cancellation:${cancellationId}`)).toMatchObject({ status: 'READY', payload: { kind: 'cancellation', cancellationId } });
    // Nothing left for the sweep.
    expect(await store.publicationNotes(new Date(Date.now() + 60_000), 100)).toEqual([]);
  });

  it("leaves a young note whose change is not on its order yet to its request, and drops it once that request must have died", async () => {
    const { id } = await orderInPicking();
    const changeId = `${id}-0123456789ad`;
    await store.notePublication(changeId, id);
    const later = new Date(Date.now() + 60_000);
    await sweepUnpublished(store, { recordedBefore: later, givenUpBefore: new Date(0) });
    expect((await store.publicationNotes(later, 100)).map((note) => note._id)).toContain(changeId);
    await sweepUnpublished(store, { recordedBefore: later, givenUpBefore: later });
    expect((await store.publicationNotes(later, 100)).map((note) => note._id)).not.toContain(changeId);
    expect(await store.coordination.get(`address-change:${changeId}`)).toBeNull();
  });

  it('reads the address the parcel left with after a change that came too late, also when another was asked for once it had shipped', async () => {
    const { id, shipmentId } = await orderInPicking();
    // Asked for while orders did not know yet that the parcel was leaving: recorded as the order's address.
    const late = await change(id, '2 Late Lane');
    expect(late.data!.changeShippingAddress.status).toBe('PENDING');
    expect((await report({ changeId: late.data!.changeShippingAddress.id, orderId: id, elementId: shipmentId, node: 'shipping', result: 'REJECTED', detail: 'too late' })).errors).toBeUndefined();
    await store.change(new ObjectId(id), (order) => ({ status: 'SHIPPED', shipments: order.shipments.map((shipment) => ({ ...shipment, status: 'SHIPPED' as const })) }));
    // Asked for once orders knew it had shipped: rejected at once, and the order keeps what it stored.
    const after = await change(id, '3 After Street', 'SYNCHRONOUS');
    expect(after.data!.changeShippingAddress).toMatchObject({ status: 'REJECTED', outcomes: [{ elementId: shipmentId, node: 'orders', result: 'REJECTED' }] });
    expect(effectiveShippingAddress((await store.findById(new ObjectId(id)))!).line1).toBe('1 Old Road');
  });

  it('answers a retry with the same key with the same change, and refuses the key for another change', async () => {
    const { id } = await orderInPicking();
    const first = await change(id, '9 Key Street', 'ASYNCHRONOUS', 'ticket-1');
    const again = await change(id, '9 Key Street', 'ASYNCHRONOUS', 'ticket-1');
    expect(again.data!.changeShippingAddress.id).toBe(first.data!.changeShippingAddress.id);
    expect(codes(await change(id, '10 Other Street', 'ASYNCHRONOUS', 'ticket-1'))).toEqual(['CONFLICT']);
    expect(codes(await report({ changeId: `${id}-ffffffffffff`, orderId: id, elementId: 'x', node: 'picking', result: 'APPLIED' }))).toEqual(['NOT_FOUND']);
  });
});
