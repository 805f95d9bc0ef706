import { describe, expect, it } from 'vitest';
import { readItem, variablesOf } from '../../kit/queue.ts';
import type { AddressChangePayload } from '../../pipeline/address-changes.ts';
import type { ShipmentPayload } from '../../pipeline/messages.ts';
import { gql } from '../../test/harness.ts';
import { LeaseRevoked } from '../../kit/worker.ts';
import { shipmentMaker, shippingServiceForRaces } from './race-test-setup.ts';
import { shipOne } from './worker.ts';

// A change that meets a shipment a shipping worker holds: settled by the queue's
// compare-and-swap, never by timing. Either the change revokes the lease (the worker
// cannot ship, the shipment is worked again with the new address), or the worker sealed
// the shipment first (the change is rejected as too late). Real FerretDB, real service.

const service = shippingServiceForRaces('shipping_changes');

const oldAddress = { name: 'Ada', line1: '1 Old Road', line2: null, city: 'London', postalCode: 'N1 1AA', country: 'GB' };
const newAddress = { name: 'Ada', line1: '9 New Street', line2: null, city: 'Manchester', postalCode: 'M1 1AA', country: 'GB' };

const shipment = shipmentMaker('order', oldAddress);

const changeFor = (s: ShipmentPayload, version = 1): AddressChangePayload => ({
  changeId: `${s.orderId}-c${version}`,
  orderId: s.orderId,
  version,
  address: newAddress,
  requestedAt: new Date().toISOString(),
});

const apply = async (change: AddressChangePayload, dryRun = false) => {
  const res = await gql(
    service.app.url,
    `mutation($change: AddressChangeInput!, $dryRun: Boolean) { applyShippingAddressChange(change: $change, dryRun: $dryRun) { elementId result detail } }`,
    { change, dryRun },
  );
  expect(res.errors).toBeUndefined();
  return res.data!.applyShippingAddressChange as { elementId: string; result: string; detail: string }[];
};

async function leaseOf(id: string) {
  for (let i = 0; i < 50; i++) {
    const leases = await service.store.shipments.lease('test-worker', 10);
    const mine = leases.find((lease) => lease.id === id);
    if (mine) return mine;
  }
  throw new Error(`could not lease ${id}`);
}

describe('an address change meeting a shipment a worker holds', () => {
  it('revokes the lease: the worker cannot ship the old address, and the shipment is worked again with the new one', async () => {
    const s = shipment();
    await service.store.shipments.enqueue(s.shipmentId, s);
    const held = await leaseOf(s.shipmentId);

    expect(await apply(changeFor(s))).toEqual([{ elementId: s.shipmentId, result: 'APPLIED', detail: 'applied at shipping while being worked on' }]);

    // The worker that held it reaches its point of no return: refused.
    await expect(shipOne(service.store, held, 0)).rejects.toBeInstanceOf(LeaseRevoked);
    expect(await service.store.get(s.shipmentId)).toBeNull();
    expect(await service.store.shipments.complete(held)).toBe(false);

    // Worked again, it ships to the new address, once.
    const again = await leaseOf(s.shipmentId);
    expect(again.payload.address).toEqual(newAddress);
    const outcome = await shipOne(service.store, again, 0);
    expect(await service.store.shipments.complete(again, outcome)).toBe(true);
    expect(await service.store.get(s.shipmentId)).toMatchObject({ address: newAddress, addressVersion: 1 });
  });

  it('is rejected as too late once the worker has sealed the shipment, which then leaves with the address it had', async () => {
    const s = shipment();
    await service.store.shipments.enqueue(s.shipmentId, s);
    const held = await leaseOf(s.shipmentId);
    expect(await service.store.shipments.seal(held)).toMatchObject({ address: oldAddress });

    const [outcome] = await apply(changeFor(s));
    expect(outcome).toMatchObject({ elementId: s.shipmentId, result: 'REJECTED' });
    expect(outcome!.detail).toMatch(/^too late/);

    await service.store.shipments.complete(held, await shipOne(service.store, held, 0));
    expect(await service.store.get(s.shipmentId)).toMatchObject({ address: oldAddress, addressVersion: 0 });
    // Asked again (a redelivery), the answer is the same, now from the shipment that left.
    const [later] = await apply(changeFor(s));
    expect(later).toMatchObject({ result: 'REJECTED' });
    expect(later!.detail).toMatch(/has left/);
  });

  it('applies a change once however often it is delivered, and never goes back to an older one', async () => {
    const s = shipment();
    await service.store.shipments.enqueue(s.shipmentId, s);
    const second = { ...changeFor(s, 2), address: { ...newAddress, line1: '2 Second Street' } };
    expect((await apply(second))[0]).toMatchObject({ result: 'APPLIED' });
    const before = await service.store.shipments.get(s.shipmentId);
    expect((await apply(second))[0]).toMatchObject({ result: 'APPLIED', detail: 'carries the new address' });
    // The first change, delivered late, is superseded rather than applied over the second.
    expect((await apply(changeFor(s, 1)))[0]).toMatchObject({ result: 'REJECTED', detail: 'superseded by a later change' });
    const after = await service.store.shipments.get(s.shipmentId);
    expect(after!.version).toBe(before!.version);
    expect(after!.payload).toMatchObject({ address: { line1: '2 Second Street' }, addressVersion: 2 });
  });

  it('changes a shipment that arrives after the change was published (it was on its way here)', async () => {
    const s = shipment();
    expect(await apply(changeFor(s))).toEqual([]); // nothing held yet: remembered
    const res = await gql(service.app.url, `mutation($s: ShipmentInput!) { enqueueForShipping(shipment: $s) { shipmentId status } }`, {
      s: { ...s, addressVersion: 0 },
    });
    expect(res.errors).toBeUndefined();
    // Stored with the new address in the first place (version 0: never amended), so no worker
    // here could have leased it with the old one; and reported applied on arrival.
    expect(await service.store.shipments.get(s.shipmentId)).toMatchObject({ version: 0, payload: { address: newAddress, addressVersion: 1 } });
    expect(variablesOf(readItem((await service.store.changes.reports.items.findOne({ _id: `report:${s.orderId}-c1:${s.shipmentId}` }))!).outbox[0]!)).toMatchObject({
      input: { result: 'APPLIED', detail: 'applied at shipping on arrival', fromVersion: 0 },
    });
  });

  it('answers a dry run with what it would do, and changes nothing', async () => {
    const s = shipment();
    await service.store.shipments.enqueue(s.shipmentId, s);
    const before = await service.store.shipments.get(s.shipmentId);
    expect(await apply(changeFor(s), true)).toEqual([{ elementId: s.shipmentId, result: 'APPLIED', detail: 'would be applied at shipping while queued' }]);
    expect((await service.store.shipments.get(s.shipmentId))!.version).toBe(before!.version);
    expect(await service.store.changes.log.countDocuments({ orderId: s.orderId })).toBe(0);
  });

  it('refuses a change with a version that cannot be, and writes nothing', async () => {
    const s = shipment();
    const res = await gql(service.app.url, `mutation($change: AddressChangeInput!) { applyShippingAddressChange(change: $change) { elementId } }`, {
      change: changeFor(s, 0),
    });
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await service.store.changes.log.countDocuments({ orderId: s.orderId })).toBe(0);
  });
});
