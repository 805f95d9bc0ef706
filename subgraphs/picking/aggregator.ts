import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../../kit/logger.ts';
import { ringKey } from '../../kit/doorbell.ts';
import { startLoop } from '../../kit/loop.ts';
import { inSpan } from '../../kit/telemetry.ts';
import { SpanKind } from '@opentelemetry/api';
import type { Lease } from '../../kit/queue.ts';
import { isUnavailable } from '../../kit/unavailable.ts';
import type { ShipmentPayload } from '../../pipeline/messages.ts';
import { handOff, progress, statusAfter } from '../../pipeline/routes.ts';
import { handedOver, handedOverMove, track, transition } from '../../pipeline/tracking.ts';
import type { PickingStore, ShipmentItem } from './store.ts';
import { groupBy } from '../../kit/group.ts';

/**
 * Picking is an aggregation queue: shipments gather per distribution centre and
 * shipping method, and are released together as one picklist when the group reaches
 * `batchSize` or its oldest shipment has waited `maxWaitMs`.
 *
 * A release leases exactly the shipments it takes, so with any number of picking
 * workers each shipment is taken by one release; the picklist is recorded PENDING
 * first, each shipment is completed (and handed on) under its lease, and the
 * picklist is RELEASED with the shipments whose completion succeeded. A release
 * that died half-way is finished by the next sweep from the shipments' own records;
 * one that was only slow writes its picklist again when it finishes.
 */
export interface AggregationRules {
  batchSize: number;
  maxWaitMs: number;
}

export interface Release {
  picklistId: string;
  shipmentIds: string[];
  reason: 'BATCH_FULL' | 'MAX_WAIT';
}

export async function releaseDue(store: PickingStore, owner: string, rules: AggregationRules, now = new Date()): Promise<Release[]> {
  return (await releaseWaiting(store, owner, rules, now, true)).releases;
}

/**
 * releaseDue, also saying how many shipments were left waiting (none: the aggregator may slow its
 * polling) and when the first of their groups is due (epoch ms), if none fills up first.
 * `withExpired`: also take shipments whose release died (their leases expired). The aggregator's
 * passes look for those about once a second (DurableQueue.timeToLookForExpired), not on every pass.
 */
async function releaseWaiting(store: PickingStore, owner: string, rules: AggregationRules, now: Date, withExpired: boolean): Promise<{ releases: Release[]; waiting: number; dueAt: number }> {
  const waiting = await store.waiting(now, 5_000, withExpired);
  const groups = groupBy(waiting, (item) => `${item.payload.distributionCenter}|${item.payload.shippingMethod}`);
  const batches: ShipmentItem[][] = [];
  for (const group of groups.values()) {
    while (group.length >= rules.batchSize || (group.length > 0 && now.getTime() - group[0]!.enqueuedAt.getTime() >= rules.maxWaitMs)) {
      batches.push(group.splice(0, rules.batchSize));
    }
  }
  // Batches hold distinct shipments, so a few are released at once: one after another, a backlog
  // of shipments waited a dozen round trips per picklist (docs/benchmarks.md, "2026-12-04 (late)").
  const releases: Release[] = [];
  const releaseNext = async (): Promise<void> => {
    for (let batch = batches.shift(); batch; batch = batches.shift()) {
      const release = await releaseBatch(store, owner, batch, batch.length >= rules.batchSize ? 'BATCH_FULL' : 'MAX_WAIT');
      if (release) releases.push(release);
    }
  };
  await Promise.all(Array.from({ length: Math.min(RELEASES_AT_ONCE, batches.length) }, releaseNext));
  const left = [...groups.values()].filter((group) => group.length > 0);
  const dueAt = Math.min(...left.map((group) => group[0]!.enqueuedAt.getTime() + rules.maxWaitMs));
  return { releases, waiting: left.reduce((sum, group) => sum + group.length, 0), dueAt };
}

async function releaseBatch(store: PickingStore, owner: string, batch: ShipmentItem[], reason: Release['reason']): Promise<Release | null> {
  const leases = (await Promise.all(batch.map((item) => store.shipments.leaseById(item._id, owner, item)))).filter((lease): lease is Lease<ShipmentPayload> => lease !== null);
  if (leases.length === 0) return null;
  try {
    return await releaseLeased(store, leases, reason);
  } catch (error) {
    // Give the shipments back at once rather than waiting for their leases to expire.
    const reason = `release failed: ${error instanceof Error ? error.message : String(error)}`;
    await Promise.all(leases.map((lease) => store.shipments.fail(lease, reason, { unavailable: isUnavailable(error) }).catch(() => {})));
    throw error;
  }
}

export async function releaseLeased(store: PickingStore, leases: Lease<ShipmentPayload>[], reason: Release['reason']): Promise<Release | null> {
  const first = leases[0]!.payload;
  const ids = leases.map((lease) => lease.id).sort();
  // The picklist is this release's own: its id comes from the leases, not only from the shipments.
  // Named by the shipments alone, a release whose leases expired or were revoked and the release
  // that took the same shipments over shared one document, and the first, left with none of them,
  // dropped it: shipments picked under a picklist that was gone.
  const leased = [...leases].sort((a, b) => (a.id < b.id ? -1 : 1)).map((lease) => `${lease.id}:${lease.token}`);
  const picklistId = `PL-${first.distributionCenter}-${createHash('sha256').update(leased.join(',')).digest('hex').slice(0, 12)}`;
  const pending = await store.createPending({
    _id: picklistId,
    distributionCenter: first.distributionCenter,
    shippingMethod: first.shippingMethod,
    status: 'PENDING',
    shipmentIds: ids,
    orderIds: [...new Set(leases.map((lease) => lease.payload.orderId))],
    reason,
    createdAt: new Date(),
    releasedAt: null,
  });
  // Each shipment is completed under its own lease, all of them at once. Each continues its own
  // order's trace, so the journey stays one trace.
  const completeOne = (lease: Lease<ShipmentPayload>) =>
    inSpan('picking', 'release picklist', { kind: SpanKind.CONSUMER, parent: lease.trace, attributes: { service: 'picking', picklist: picklistId, shipment: lease.id } }, () => {
      const shipment = { ...lease.payload, picklistId };
      const next = statusAfter('picking', shipment);
      const moved = transition({ elementType: 'SHIPMENT', elementId: shipment.shipmentId, orderId: shipment.orderId, from: 'PICKING', to: next, node: 'picking', detail: `picklist ${picklistId}` });
      const messages = [
        progress('picking', shipment, moved),
        track(...handedOverMove(shipment), moved),
        ...handOff('picking', { ...shipment, handedOver: handedOver(moved) }),
      ];
      return store.shipments.complete(lease, { result: { picklistId }, messages });
    });
  const completed = await Promise.all(leases.map(completeOne));
  const released = leases.filter((_, i) => completed[i]);
  const shipmentIds = released.map((lease) => lease.id);
  await store.release(pending, shipmentIds, [...new Set(released.map((lease) => lease.payload.orderId))]);
  return shipmentIds.length > 0 ? { picklistId, shipmentIds, reason } : null;
}

/** Finishes releases that died between completing shipments and marking the picklist RELEASED. */
export async function finishInterruptedReleases(store: PickingStore, olderThanMs: number): Promise<void> {
  for (const picklist of await store.pendingOlderThan(new Date(Date.now() - olderThanMs))) {
    const items = await Promise.all(picklist.shipmentIds.map((id) => store.shipments.get(id)));
    const done = items.filter((item) => item?.status === 'DONE' && (item.result as { picklistId?: string } | null)?.picklistId === picklist._id) as ShipmentItem[];
    await store.finishPending(picklist, done.map((item) => item._id), [...new Set(done.map((item) => item.payload.orderId))]);
  }
}

/** Picklists a pass releases at once, at most (each a few requests of its own). */
const RELEASES_AT_ONCE = 4;

/** While shipments wait, how long the aggregator may go without looking. */
const WAITING_LOOK_MS = 500;

export function startAggregator(store: PickingStore, rules: AggregationRules, logger: Logger, pollMs = 100) {
  const owner = `${hostname()}:${process.pid}:aggregator`;
  let lastSweep = 0;
  const pass = async () => {
    const now = new Date();
    const { releases, waiting, dueAt } = await releaseWaiting(store, owner, rules, now, store.shipments.timeToLookForExpired(now));
    for (const release of releases) logger.info('picklist released', { picklist: release.picklistId, shipments: release.shipmentIds.length, reason: release.reason });
    if (Date.now() - lastSweep > 5_000) {
      lastSweep = Date.now();
      await finishInterruptedReleases(store, store.shipments.visibilityTimeoutMs);
    }
    if (waiting === 0) return releases.length === 0 ? ('idle' as const) : undefined;
    // Counted from now, after the releases and the sweep this pass made.
    return Math.min(dueAt - Date.now(), WAITING_LOOK_MS);
  };
  // Shipments waiting for their group to fill: the next pass when the oldest group is due, or at
  // once when a shipment stored at the picking service rings (it may fill a group), and at least
  // every WAITING_LOOK_MS for what rang elsewhere (another instance of the subgraph). Shipments
  // given back by a failed release ring when their backoff ends (DurableQueue.fail). Nothing
  // waiting: poll less often, up to every 2 s, as the workers do.
  return startLoop(pass, { intervalMs: pollMs, idleMaxMs: 2_000, logger, what: 'aggregation pass', wakeOn: [ringKey(store.shipments.labels, 'work')] });
}
