import type { Db } from 'mongodb';
import type { DurableQueue } from '../../kit/queue.ts';
import type { ShipmentPayload } from '../../pipeline/messages.ts';
import { StageChanges } from '../../pipeline/address-changes.ts';
import { StageCancellations } from '../../pipeline/cancellations.ts';
import { shipmentQueue, type ShipmentItem } from '../../pipeline/shipment-stage.ts';

// The only code that touches the rebin collections: its queue of shipments.

export type { ShipmentItem };

export class RebinStore {
  readonly shipments: DurableQueue<ShipmentPayload>;
  readonly changes: StageChanges;
  readonly cancellations: StageCancellations;

  constructor(db: Db) {
    this.shipments = shipmentQueue(db, 'rebin');
    this.changes = new StageChanges(db, 'rebin', this.shipments);
    this.cancellations = new StageCancellations(db, 'rebin', this.shipments, this.changes.reports);
  }

  async ensureIndexes(): Promise<void> {
    await this.shipments.ensureIndexes();
    await this.changes.ensureIndexes();
    await this.cancellations.ensureIndexes();
  }
}
