import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../kit/logger.ts';
import type { Lease } from '../../kit/queue.ts';
import { startOutboxRelay } from '../../kit/relay.ts';
import { LeaseRevoked, startWorker } from '../../kit/worker.ts';
import { itemCount, operations, type ShipmentPayload } from '../../pipeline/messages.ts';
import { handOff, progress } from '../../pipeline/routes.ts';
import type { ServiceClients } from '../../pipeline/services.ts';
import { handedOver, handedOverMove, track, transition } from '../../pipeline/tracking.ts';
import { carrierFor, trackingNumberFor } from './carriers.ts';
import type { ShippingStore } from './store.ts';

/**
 * Packs a shipment and hands it to a carrier. Everything needed (lines, weights,
 * address) travels with the shipment. Reports SHIPPED to orders and tells inventory
 * the reserved units have left.
 */
export async function shipOne(store: ShippingStore, lease: Lease<ShipmentPayload>, workMs: number) {
  if (workMs > 0) await sleep(workMs);
  // Past this point an address change is too late; before it, a change revokes our lease
  // and the shipment is worked again with the new address. Either way it never leaves
  // with an address tracking says was changed before it left.
  const shipment = await store.shipments.seal(lease);
  if (!shipment) throw new LeaseRevoked(lease.id);
  const carrier = carrierFor(shipment);
  const shipped = await store.recordShipped({
    _id: shipment.shipmentId,
    orderId: shipment.orderId,
    distributionCenter: shipment.distributionCenter,
    carrier,
    trackingNumber: trackingNumberFor(carrier, shipment.shipmentId),
    address: shipment.address,
    addressVersion: shipment.addressVersion ?? 0,
    items: itemCount(shipment),
    weightGrams: shipment.lines.reduce((sum, line) => sum + line.weightGrams * line.quantity, 0),
    shippedAt: new Date(),
  });
  const moved = transition({
    elementType: 'SHIPMENT',
    elementId: shipment.shipmentId,
    orderId: shipment.orderId,
    from: 'SHIPPING',
    to: 'SHIPPED',
    node: 'shipping',
    detail: `${shipped.carrier} ${shipped.trackingNumber}`,
  });
  return {
    messages: [
      progress('shipping', shipment, moved),
      track(...handedOverMove(shipment), moved),
      {
        id: `commit:${shipment.shipmentId}`,
        target: 'inventory',
        operation: operations.commitReservation,
        variables: { reservationId: shipment.reservationId, distributionCenter: shipment.distributionCenter },
      },
      ...handOff('shipping', { ...shipment, handedOver: handedOver(moved) }),
    ],
  };
}

export function startShippingWorker(store: ShippingStore, clients: ServiceClients, logger: Logger, options: { workMs?: number; concurrency?: number } = {}) {
  const relay = startOutboxRelay({ queues: [store.shipments, store.changes.reports], clients: (name) => clients.get(name), logger });
  const worker = startWorker({ queue: store.shipments, handle: (lease) => shipOne(store, lease, options.workMs ?? 0), logger, concurrency: options.concurrency });
  return {
    async stop() {
      await worker.stop();
      await relay.stop();
    },
  };
}
