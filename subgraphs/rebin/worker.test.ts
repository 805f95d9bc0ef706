import { describe, expect, it } from 'vitest';
import type { Lease } from '../../kit/queue.ts';
import type { ShipmentPayload } from '../../pipeline/messages.ts';
import { handedOver, transition, type TransitionPayload } from '../../pipeline/tracking.ts';
import { rebinOne } from './worker.ts';

const shipment: ShipmentPayload = {
  shipmentId: 'o1-LHR1',
  orderId: 'o1',
  reservationId: 'r1',
  distributionCenter: 'LHR1',
  shippingMethod: 'STANDARD',
  lines: [{ sku: 'MUG-001', title: 'Mug', quantity: 2, weightGrams: 300, bin: 'A1' }],
  address: { name: 'Ada', line1: '1 Road', city: 'London', postalCode: 'N1', country: 'GB' },
};
const picked = transition({ elementType: 'SHIPMENT', elementId: 'o1-LHR1', orderId: 'o1', from: 'PICKING', to: 'REBIN', node: 'picking', detail: 'picklist PL-1' });

// Picking's record of the move that brought the shipment here can reach tracking after rebin's
// own (each node records through its own outbox): rebin's record carries it, before its own.
describe("rebin's records of a shipment", () => {
  it('tell tracking the move that handed the shipment over, then its own, in one message; the hand-off carries its own', async () => {
    const { messages } = await rebinOne({ payload: { ...shipment, handedOver: handedOver(picked) } } as Lease<ShipmentPayload>, 0);
    const recorded = messages.find((message) => message.target === 'tracking')!.variables as { input: TransitionPayload[] };
    expect(recorded.input.map((t) => t.id)).toEqual([picked.id, 'SHIPMENT:o1-LHR1:REBIN>SHIPPING']);
    expect(recorded.input[0]).toEqual(picked);
    const toShipping = messages.find((message) => message.target === 'shipping')!.variables as { shipment: ShipmentPayload };
    expect(toShipping.shipment.handedOver).toEqual(handedOver(recorded.input[1]!));
  });

  it('tell tracking their own move only, for a shipment handed over without its move', async () => {
    const { messages } = await rebinOne({ payload: shipment } as Lease<ShipmentPayload>, 0);
    const recorded = messages.find((message) => message.target === 'tracking')!.variables as { input: TransitionPayload[] };
    expect(recorded.input.map((t) => t.id)).toEqual(['SHIPMENT:o1-LHR1:REBIN>SHIPPING']);
  });
});
