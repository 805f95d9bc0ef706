import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../kit/logger.ts';
import type { Lease } from '../../kit/queue.ts';
import { startOutboxRelay } from '../../kit/relay.ts';
import { startWorker } from '../../kit/worker.ts';
import type { ShipmentPayload } from '../../pipeline/messages.ts';
import { handOff, progress, statusAfter } from '../../pipeline/routes.ts';
import type { ServiceClients } from '../../pipeline/services.ts';
import { handedOver, handedOverMove, track, transition } from '../../pipeline/tracking.ts';
import type { RebinStore } from './store.ts';

/** Consolidates a multi-item shipment's picked items into one tote, then hands it on. */
export async function rebinOne(lease: Lease<ShipmentPayload>, workMs: number) {
  if (workMs > 0) await sleep(workMs);
  const shipment = lease.payload;
  const next = statusAfter('rebin', shipment);
  const moved = transition({ elementType: 'SHIPMENT', elementId: shipment.shipmentId, orderId: shipment.orderId, from: 'REBIN', to: next, node: 'rebin' });
  return {
    messages: [progress('rebin', shipment, moved), track(...handedOverMove(shipment), moved), ...handOff('rebin', { ...shipment, handedOver: handedOver(moved) })],
  };
}

export function startRebinWorker(store: RebinStore, clients: ServiceClients, logger: Logger, options: { workMs?: number; concurrency?: number } = {}) {
  const relay = startOutboxRelay({ queues: [store.shipments, store.changes.reports], clients: (name) => clients.get(name), logger });
  const worker = startWorker({ queue: store.shipments, handle: (lease) => rebinOne(lease, options.workMs ?? 0), logger, concurrency: options.concurrency });
  return {
    async stop() {
      await worker.stop();
      await relay.stop();
    },
  };
}
