import { describe, expect, it } from 'vitest';
import { variablesOf } from '../../kit/queue.ts';
import type { CancellationPayload } from '../../pipeline/cancellations.ts';
import type { ShipmentPayload } from '../../pipeline/messages.ts';
import { gql } from '../../test/harness.ts';
import { LeaseRevoked } from '../../kit/worker.ts';
import { shipmentMaker, shippingServiceForRaces } from './race-test-setup.ts';
import { shipOne } from './worker.ts';

// A cancellation that meets a shipment a shipping worker holds: settled by the queue's
// compare-and-swap, never by timing. Either it pulls the shipment (the worker's lease is void:
// it cannot seal, ship or complete) or the worker sealed it first (too late: it leaves).
// Real FerretDB, real service.

const service = shippingServiceForRaces('shipping_cancellations');

const address = { name: 'Ada', line1: '1 Old Road', line2: null, city: 'London', postalCode: 'N1 1AA', country: 'GB' };

const shipment = shipmentMaker('cancel', address);

const cancellationFor = (s: ShipmentPayload): CancellationPayload => ({
  cancellationId: `${s.orderId}-cancel`,
  orderId: s.orderId,
  reason: 'changed my mind',
  requestedAt: new Date().toISOString(),
});

const apply = async (cancellation: CancellationPayload) => {
  const res = await gql(service.app.url, `mutation($c: CancellationInput!) { applyShippingCancellation(cancellation: $c) { elementId result detail } }`, { c: cancellation });
  expect(res.errors).toBeUndefined();
  return res.data!.applyShippingCancellation as { elementId: string; result: string; detail: string }[];
};

async function leaseOf(id: string) {
  for (let i = 0; i < 50; i++) {
    const leases = await service.store.shipments.lease('test-worker', 10);
    const mine = leases.find((lease) => lease.id === id);
    if (mine) return mine;
  }
  throw new Error(`could not lease ${id}`);
}

/** What the pulled shipment's own outbox tells others, by target. */
async function toldBy(shipmentId: string) {
  const item = await service.store.shipments.get(shipmentId);
  return Object.fromEntries(item!.outbox.map((message) => [message.target + (message.target === 'tracking' ? `:${(variablesOf(message).input as { elementType: string }[])[0]!.elementType}` : ''), variablesOf(message)]));
}

describe('a cancellation meeting a shipment at shipping', () => {
  it('pulls a queued shipment: cancelled, reported to orders and tracking, its centre’s stock released', async () => {
    const s = shipment();
    await service.store.shipments.enqueue(s.shipmentId, s);
    expect(await apply(cancellationFor(s))).toEqual([{ elementId: s.shipmentId, result: 'APPLIED', detail: 'pulled at shipping while queued' }]);
    expect((await service.store.shipments.get(s.shipmentId))!.status).toBe('CANCELLED');
    const told = await toldBy(s.shipmentId);
    expect(told.orders).toMatchObject({ input: { cancellationId: `${s.orderId}-cancel`, elementId: s.shipmentId, node: 'shipping', result: 'APPLIED' } });
    expect(told.inventory).toEqual({ reservationId: s.reservationId, distributionCenter: 'LHR1' });
    // Tracking hears the shipment stop, then the outcome; orders hears both with the outcome, to tell them before the order's move.
    expect(told['tracking:SHIPMENT']).toMatchObject({
      input: [
        { elementId: s.shipmentId, from: 'SHIPPING', to: 'CANCELLED', node: 'shipping' },
        { elementType: 'CANCEL', to: 'CANCEL_APPLIED', node: 'shipping' },
      ],
    });
    expect(told.orders).toMatchObject({ input: { moves: [{ from: 'SHIPPING', to: 'CANCELLED', node: 'shipping' }] } });
    // Delivered again: nothing more is written. The shipment, pulled, is no longer held here, and its
    // outcome went to orders with the pull itself (above).
    const before = await service.store.shipments.get(s.shipmentId);
    expect(await apply(cancellationFor(s))).toEqual([]);
    expect((await service.store.shipments.get(s.shipmentId))!.version).toBe(before!.version);
  });

  it('pulls a shipment parked in exceptions and closes its exception: nobody need act on it now', async () => {
    const s = shipment();
    await service.store.shipments.enqueue(s.shipmentId, s);
    expect(await service.store.shipments.fail(await leaseOf(s.shipmentId), 'carrier refused the parcel', { permanent: true })).toBe('failed');
    const raised = (await service.store.shipments.get(s.shipmentId))!.outbox.find((message) => message.target === 'exceptions')!;

    expect(await apply(cancellationFor(s))).toEqual([{ elementId: s.shipmentId, result: 'APPLIED', detail: 'pulled at shipping while parked in exceptions' }]);

    const messages = (await service.store.shipments.get(s.shipmentId))!.outbox.filter((message) => message.target === 'exceptions');
    expect(messages.map((message) => message.operation.match(/\{ (\w+)\(/)?.[1])).toEqual(['raiseException', 'closeException']);
    // The same raise (the same occurrence): closed whether the raise reached exceptions first or not.
    expect(variablesOf(messages[1]!)).toEqual({ input: (variablesOf(raised) as { input: unknown }).input, resolution: `the order was cancelled (${s.orderId}-cancel)` });
  });

  it('racing the worker before its point of no return: the lease is void, nothing ships', async () => {
    const s = shipment();
    await service.store.shipments.enqueue(s.shipmentId, s);
    const held = await leaseOf(s.shipmentId);
    expect(await apply(cancellationFor(s))).toEqual([{ elementId: s.shipmentId, result: 'APPLIED', detail: 'pulled at shipping while being worked on' }]);
    await expect(shipOne(service.store, held, 0)).rejects.toBeInstanceOf(LeaseRevoked);
    expect(await service.store.shipments.complete(held)).toBe(false);
    expect(await service.store.get(s.shipmentId)).toBeNull();
    // Not leased again: a cancelled shipment is never worked.
    expect((await service.store.shipments.lease('another-worker', 50)).map((lease) => lease.id)).not.toContain(s.shipmentId);
  });

  it('racing the worker after it sealed the shipment: too late, and the parcel leaves', async () => {
    const s = shipment();
    await service.store.shipments.enqueue(s.shipmentId, s);
    const held = await leaseOf(s.shipmentId);
    expect(await service.store.shipments.seal(held)).not.toBeNull();
    const [outcome] = await apply(cancellationFor(s));
    expect(outcome).toMatchObject({ elementId: s.shipmentId, result: 'REJECTED' });
    expect(outcome!.detail).toMatch(/^too late: .* handed to the carrier/);
    expect(await service.store.shipments.complete(held, await shipOne(service.store, held, 0))).toBe(true);
    expect(await service.store.get(s.shipmentId)).toMatchObject({ orderId: s.orderId });
    // Asked again once it has left: still too late, now from the shipment that left.
    const [later] = await apply(cancellationFor(s));
    expect(later).toMatchObject({ result: 'REJECTED' });
    expect(later!.detail).toMatch(/has left/);
  });

  it('the worker and the cancellation at once, many times: each shipment either ships or is pulled, never both', async () => {
    const shipments = Array.from({ length: 6 }, shipment);
    for (const s of shipments) await service.store.shipments.enqueue(s.shipmentId, s);
    const leases = await Promise.all(shipments.map(async (s) => (await service.store.shipments.leaseById(s.shipmentId, 'racing-worker'))!));
    const results = await Promise.all(
      shipments.map(async (s, i) => {
        const [worked, answer] = await Promise.allSettled([
          shipOne(service.store, leases[i]!, 0).then((outcome) => service.store.shipments.complete(leases[i]!, outcome)),
          apply(cancellationFor(s)),
        ]);
        return { s, worked, answer: answer.status === 'fulfilled' ? answer.value[0] : undefined };
      }),
    );
    for (const { s, worked, answer } of results) {
      const shipped = (await service.store.get(s.shipmentId)) !== null;
      expect(answer?.result).toBe(shipped ? 'REJECTED' : 'APPLIED');
      expect(worked.status === 'fulfilled' && worked.value === true).toBe(shipped);
    }
  });

  it('a shipment that arrives after the cancellation and is shipped before the stage looks for it: reported too late to orders', async () => {
    const s = shipment();
    const cancellation = cancellationFor(s);
    expect(await apply(cancellation)).toEqual([]); // nothing held yet: remembered
    // Stored, then taken by a worker and handed to the carrier before the arrival looks for cancellations.
    const { item } = await service.store.shipments.enqueue(s.shipmentId, s);
    const held = await leaseOf(s.shipmentId);
    expect(await service.store.shipments.seal(held)).not.toBeNull();
    expect(await service.store.shipments.complete(held, await shipOne(service.store, held, 0))).toBe(true);
    await service.store.cancellations.arrived(item);
    const report = await service.store.changes.reports.get(`cancel-report:${cancellation.cancellationId}:${s.shipmentId}`);
    const told = report!.outbox.find((message) => message.target === 'orders')!;
    expect(variablesOf(told)).toMatchObject({ input: { cancellationId: cancellation.cancellationId, elementId: s.shipmentId, node: 'shipping', result: 'REJECTED' } });
    expect((variablesOf(told).input as { detail: string }).detail).toMatch(/^too late: .* has left/);
  });

  it('pulls a shipment that arrives after the cancellation (it was on its way here)', async () => {
    const s = shipment();
    expect(await apply(cancellationFor(s))).toEqual([]); // nothing held yet: remembered
    const res = await gql(service.app.url, `mutation($s: ShipmentInput!) { enqueueForShipping(shipment: $s) { shipmentId status } }`, { s });
    expect(res.errors).toBeUndefined();
    expect(res.data!.enqueueForShipping).toEqual({ shipmentId: s.shipmentId, status: 'CANCELLED' });
    expect((await toldBy(s.shipmentId)).orders).toMatchObject({ input: { result: 'APPLIED', detail: 'pulled at shipping while queued' } });
  });
});
