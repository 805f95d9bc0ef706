import type { Db } from 'mongodb';
import { badInput, notFound } from '../kit/errors.ts';
import { DurableQueue, queueDepth, type QueueItem } from '../kit/queue.ts';
import { type AddressChangePayload, StageChanges } from './address-changes.ts';
import { type CancellationPayload, StageCancellations } from './cancellations.ts';
import { exceptionFor } from './exceptions.ts';
import { operations, type ShipmentPayload } from './messages.ts';

// What picking, rebin and shipping share: a durable queue of shipments in the stage's
// own database, and the GraphQL operations every stage offers on it.

export type ShipmentItem = QueueItem<ShipmentPayload, unknown>;

export function shipmentQueue(db: Db, service: string, options: { visibilityTimeoutMs?: number; maxAttempts?: number } = {}) {
  return new DurableQueue<ShipmentPayload>(db, 'shipments', {
    ...options,
    exceptionMessage: (item, reason) =>
      exceptionFor({ service, queue: 'shipments', elementId: item._id, orderId: (item.payload as ShipmentPayload).orderId, reason }),
    refusalKey: (item) => (item.payload as ShipmentPayload).orderId,
  });
}

/** A queue element's status as the stages' GraphQL `StageStatus` enum names it. */
export const stageStatusOf = { READY: 'QUEUED', LEASED: 'PROCESSING', DONE: 'DONE', FAILED: 'FAILED', CANCELLED: 'CANCELLED' } as const;

/** What every shipment stage's store has: its queue of shipments and its side of address changes and cancellations. */
export interface ShipmentStageStore {
  shipments: DurableQueue<ShipmentPayload>;
  changes: StageChanges;
  cancellations: StageCancellations;
}

/** Resolver bodies every shipment stage exposes, typed loosely so each subgraph maps them onto its generated types. */
export function shipmentStageResolvers(store: () => ShipmentStageStore) {
  const queue = () => store().shipments;
  return {
    enqueue: async (shipment: ShipmentPayload) => {
      if (shipment.lines.length === 0) throw badInput('a shipment needs at least one line', 'shipment.lines');
      if (shipment.lines.some((line) => !Number.isInteger(line.quantity) || line.quantity < 1)) throw badInput('line quantities must be positive', 'shipment.lines');
      // The cancellation is looked for as soon as the shipment is stored, before the changes' reports
      // are written: a worker here may take it at once, and each moment it could be shipped.
      return (await store().changes.arrive(shipment, async (changed) => store().cancellations.arrived((await queue().enqueue(changed.shipmentId, changed)).item))) as ShipmentItem;
    },
    applyAddressChange: (change: AddressChangePayload, dryRun: boolean | null | undefined) => {
      if (!Number.isInteger(change.version) || change.version < 1) throw badInput('version must be a positive whole number', 'change.version');
      return store().changes.apply(change, { dryRun: !!dryRun });
    },
    applyCancellation: (cancellation: CancellationPayload) => {
      if (!cancellation.cancellationId || !cancellation.orderId) throw badInput('a cancellation names itself and its order', 'cancellation');
      return store().cancellations.apply(cancellation);
    },
    get: (id: string) => queue().get(id) as Promise<ShipmentItem | null>,
    depth: (request: object) => queueDepth(queue() as DurableQueue<unknown, unknown>, request),
    resolveException: async (queueName: string, elementId: string, action: 'RETRY' | 'CANCEL') => {
      if (queueName !== 'shipments') throw notFound(`no queue named ${queueName}`, { field: 'queue' });
      const parked = await queue().get(elementId);
      // Not here (yet): nothing to act on. (Acting on one that arrives after this read would cancel it without telling orders.)
      if (!parked) throw notFound(`no parked element ${elementId} to ${action.toLowerCase()}`, { field: 'elementId' });
      const tellOrders = [{ id: `cancel:${elementId}`, target: 'orders', operation: operations.stopOrder, variables: { orderId: parked.payload.orderId, reason: `shipment ${elementId} cancelled`, shipmentId: elementId } }];
      // Done, but a service refused what it handed on: sent again, or given up with its order.
      if (await queue().resolveRefused(elementId, action, action === 'CANCEL' ? tellOrders : [])) return true;
      const item = action === 'RETRY' ? await queue().retry(elementId) : await queue().cancel(elementId, tellOrders);
      if (!item) throw notFound(`no parked element ${elementId} to ${action.toLowerCase()}`, { field: 'elementId' });
      return true;
    },
    element: {
      shipmentId: (item: ShipmentItem) => item._id,
      orderId: (item: ShipmentItem) => item.payload.orderId,
      status: (item: ShipmentItem) => stageStatusOf[item.status],
    },
  };
}
