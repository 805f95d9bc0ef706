import type { Collection, Db } from 'mongodb';
import { byId, ensureIndex, findByIds, findWhereIn, isDuplicateKeyError } from '../../kit/mongo.ts';
import type { DurableQueue } from '../../kit/queue.ts';
import type { AddressPayload, ShipmentPayload } from '../../pipeline/messages.ts';
import { StageChanges } from '../../pipeline/address-changes.ts';
import { StageCancellations } from '../../pipeline/cancellations.ts';
import { shipmentQueue, type ShipmentItem } from '../../pipeline/shipment-stage.ts';

// The only code that touches the shipping collections.

export type { ShipmentItem };

/** A shipment that has left; its _id is the shipment id, so it is recorded once. */
export interface ShippedDoc {
  _id: string;
  orderId: string;
  distributionCenter: string;
  carrier: string;
  trackingNumber: string;
  address: AddressPayload;
  /** Which change of the order's address it went to (0: as placed). */
  addressVersion: number;
  items: number;
  weightGrams: number;
  shippedAt: Date;
}

export interface OrderRef {
  id: string;
}

export class ShippingStore {
  readonly shipments: DurableQueue<ShipmentPayload>;
  readonly shipped: Collection<ShippedDoc>;
  readonly changes: StageChanges;
  readonly cancellations: StageCancellations;

  constructor(db: Db) {
    this.shipments = shipmentQueue(db, 'shipping');
    this.shipped = db.collection<ShippedDoc>('shipped');
    // A shipment that has left is where a change comes too late.
    const left = async (orderId: string) =>
      (await this.forOrders([orderId])).map((doc) => ({
        shipmentId: doc._id,
        addressVersion: doc.addressVersion ?? 0,
        detail: `${doc.carrier} ${doc.trackingNumber}, ${doc.shippedAt.toISOString()}`,
      }));
    this.changes = new StageChanges(db, 'shipping', this.shipments, left);
    // ...and where a cancellation does.
    this.cancellations = new StageCancellations(db, 'shipping', this.shipments, this.changes.reports, left);
  }

  async ensureIndexes(): Promise<void> {
    await this.shipments.ensureIndexes();
    await this.changes.ensureIndexes();
    await this.cancellations.ensureIndexes();
    await ensureIndex(this.shipped, { orderId: 1 }, { name: 'by_order' });
  }

  /** Records a shipment as shipped; a second call returns the first record. */
  async recordShipped(doc: ShippedDoc): Promise<ShippedDoc> {
    try {
      await this.shipped.insertOne(doc);
      return doc;
    } catch (error) {
      if (isDuplicateKeyError(error)) return (await this.shipped.findOne({ _id: doc._id }))!;
      throw error;
    }
  }

  async get(id: string): Promise<ShippedDoc | null> {
    return this.shipped.findOne({ _id: id });
  }

  async byIds(ids: readonly string[]): Promise<ShippedDoc[]> {
    return findByIds(this.shipped, ids);
  }

  async forOrders(orderIds: readonly string[]): Promise<ShippedDoc[]> {
    if (orderIds.length === 0) return [];
    return (await findWhereIn(this.shipped, 'orderId', orderIds)).sort(byId);
  }
}
