import type { Collection, Db, Filter } from 'mongodb';
import { isReplaceConflict, newRevision } from '../../kit/guarded-replace.ts';
import { ensureIndex, findWhereIn, isDuplicateKeyError, retireIndex } from '../../kit/mongo.ts';
import { SlotLists, slotOf, type SlotDoc } from '../../kit/slot-lists.ts';
import type { Connection, PageRequest, TimeOrdering } from '../../kit/paging.ts';
import type { DurableQueue } from '../../kit/queue.ts';
import type { ShipmentPayload } from '../../pipeline/messages.ts';
import { StageChanges } from '../../pipeline/address-changes.ts';
import { StageCancellations } from '../../pipeline/cancellations.ts';
import { shipmentQueue, type ShipmentItem } from '../../pipeline/shipment-stage.ts';

// The only code that touches the picking collections.

export type { ShipmentItem };

export interface PicklistDoc {
  _id: string;
  distributionCenter: string;
  shippingMethod: string;
  /**
   * PENDING while its shipments are being handed on; only RELEASED picklists are shown. DROPPED:
   * its release died before completing any shipment (kept, not deleted: see `finishPending`).
   */
  status: 'PENDING' | 'RELEASED' | 'DROPPED';
  shipmentIds: string[];
  orderIds: string[];
  reason: 'BATCH_FULL' | 'MAX_WAIT';
  createdAt: Date;
  /** The 15-second slot `createdAt` falls in (kit/slot-lists.ts); absent on picklists made before lists were read by the slot. */
  createdSlot?: number;
  releasedAt: Date | null;
  /** This write's revision, and the one a sweep's write was made from (kit/guarded-replace.ts). */
  rev?: string;
  revOf?: string | null;
}

export interface OrderRef {
  id: string;
}

export class PickingStore {
  readonly shipments: DurableQueue<ShipmentPayload>;
  readonly picklists: Collection<PicklistDoc>;
  readonly changes: StageChanges;
  readonly cancellations: StageCancellations;
  /** Released picklists, of every centre and of each, read a time slot at a time on FerretDB: they grow with the centres' history. */
  private readonly slotted: SlotLists<PicklistDoc>;

  constructor(db: Db, options: { visibilityTimeoutMs?: number } = {}) {
    this.shipments = shipmentQueue(db, 'picking', options);
    this.changes = new StageChanges(db, 'picking', this.shipments);
    this.cancellations = new StageCancellations(db, 'picking', this.shipments, this.changes.reports);
    this.picklists = db.collection<PicklistDoc>('picklists');
    this.slotted = new SlotLists(this.picklists, db.collection<SlotDoc>('picklist_list_slots'), newestFirst, 'createdSlot');
  }

  async ensureIndexes(): Promise<void> {
    await this.shipments.ensureIndexes();
    await this.changes.ensureIndexes();
    await this.cancellations.ensureIndexes();
    // Lists are newest first, ties by id: a centre's picklists, or all of them (by status: RELEASED).
    await ensureIndex(this.picklists, { status: 1, createdAt: -1, _id: -1 }, { name: 'by_status_created' });
    await ensureIndex(this.picklists, { distributionCenter: 1, status: 1, createdAt: -1, _id: -1 }, { name: 'by_center_created' });
    await retireIndex(this.picklists, 'by_status'); // an earlier version's, without the tie-breaker
    await ensureIndex(this.picklists, { orderIds: 1 }, { name: 'by_order' });
    await ensureIndex(this.picklists, { createdSlot: -1, createdAt: -1, _id: -1 }, { name: 'by_created_slot' });
    await this.slotted.ensureIndexes();
  }

  /** Shipments waiting for a picklist, oldest first: new ones, and with `withExpired` ones whose release died (lease expired). */
  async waiting(now: Date, limit: number, withExpired: boolean): Promise<ShipmentItem[]> {
    return (await this.shipments.due(now, limit, 'enqueuedAt', withExpired)) as ShipmentItem[];
  }

  /**
   * Records an intended picklist; the same id twice (a retried release) is one picklist. Its slot
   * is named in the lists of released picklists now, before it can be released into them.
   * Returns the picklist as stored.
   */
  async createPending(doc: PicklistDoc): Promise<PicklistDoc> {
    const createdSlot = slotOf(doc.createdAt);
    await this.slotted.note([EVERY_CENTRE, doc.distributionCenter], createdSlot);
    const stored = { ...doc, createdSlot, rev: newRevision() };
    try {
      await this.picklists.insertOne(stored);
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
    return stored;
  }

  /**
   * The release that made `pending` marks it RELEASED with the shipments it completed; one that
   * completed none drops it. The whole picklist is written (an upsert): a release slower than the
   * leases finds it finished or dropped by the sweep meanwhile, and only the release knows every
   * shipment it completed.
   */
  async release(pending: PicklistDoc, shipmentIds: string[], orderIds: string[]): Promise<void> {
    if (shipmentIds.length === 0) {
      await this.picklists.deleteOne({ _id: pending._id, status: 'PENDING' });
      return;
    }
    // A new revision, and no `revOf`: this write is unconditional, and a sweep's write made from
    // the revision before it is refused.
    const { revOf: _, ...made } = pending;
    const released: PicklistDoc = { ...made, status: 'RELEASED', shipmentIds, orderIds, releasedAt: new Date(), rev: newRevision() };
    try {
      await this.picklists.replaceOne({ _id: pending._id }, released, { upsert: true });
    } catch (error) {
      // Two upserts of a missing document at once (FerretDB's are not atomic): the other inserted it.
      if (!isDuplicateKeyError(error)) throw error;
      await this.picklists.replaceOne({ _id: pending._id }, released);
    }
  }

  /**
   * The sweep finishes a picklist whose release seems to have died, from the shipments' own
   * records: RELEASED with those completed under it, or DROPPED if none was. Only the picklist as
   * the sweep read it: a release that was only slow, and has written it since, keeps what it
   * wrote. A filter cannot say so on FerretDB (it reads, then writes by `_id`), so the write names
   * the revision it was made from, which the guard of kit/guarded-replace.ts checks with the row
   * locked; for the same reason the sweep keeps a dropped picklist rather than deleting it.
   */
  async finishPending(seen: PicklistDoc, shipmentIds: string[], orderIds: string[]): Promise<void> {
    const finished: PicklistDoc =
      shipmentIds.length > 0 ? { ...seen, status: 'RELEASED', shipmentIds, orderIds, releasedAt: new Date() } : { ...seen, status: 'DROPPED' };
    const asSeen: Filter<PicklistDoc> = { _id: seen._id, status: 'PENDING', rev: seen.rev ?? { $exists: false } };
    try {
      await this.picklists.replaceOne(asSeen, { ...finished, rev: newRevision(), revOf: seen.rev ?? null });
    } catch (error) {
      if (!isReplaceConflict(error)) throw error; // its release wrote it meanwhile
    }
  }

  async pendingOlderThan(cutoff: Date): Promise<PicklistDoc[]> {
    return this.picklists.find({ status: 'PENDING', createdAt: { $lt: cutoff } }).limit(100).toArray();
  }

  async released(filter: { distributionCenter?: string | null }, page: PageRequest): Promise<Connection<PicklistDoc>> {
    const query: Filter<PicklistDoc> = { status: 'RELEASED' };
    if (filter.distributionCenter) query.distributionCenter = filter.distributionCenter;
    return this.slotted.page(filter.distributionCenter ?? EVERY_CENTRE, query, page);
  }

  async forOrders(orderIds: readonly string[]): Promise<PicklistDoc[]> {
    if (orderIds.length === 0) return [];
    return (await findWhereIn(this.picklists, 'orderIds', orderIds, { status: 'RELEASED' })).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }
}

/** The list of every centre's released picklists (a centre's own list is named after it). */
const EVERY_CENTRE = '*';

const newestFirst: TimeOrdering<PicklistDoc, string> = {
  list: 'picklists',
  timeField: 'createdAt',
  direction: 'desc',
  timeOf: (picklist) => picklist.createdAt,
  idOf: (picklist) => picklist._id,
  parseId: (id) => id,
};
