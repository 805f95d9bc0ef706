import type { Collection, Db, Filter } from 'mongodb';
import { isDuplicateKeyError } from '../kit/mongo.ts';
import { DurableQueue, type NewMessage, type QueueItem } from '../kit/queue.ts';
import { operations, type AddressPayload, type ShipmentPayload } from './messages.ts';
import type { ShipmentStage } from './routes.ts';
import { track, transition, type TransitionPayload } from './tracking.ts';

// A shipping-address change while the order is in flight, as the stages see it. The orders
// service owns the change (docs/in-flight-changes.md): it publishes it to the stages that
// subscribed (asynchronous), sends it and waits (synchronous), or applies it itself when it
// next routes the shipment (coordinator). Each change has a version, one higher than the
// order's previous address; a shipment carries the version of the address it has, so a
// change is applied to a shipment at most once and never replaced by an older one.

/** The stages subscribed to address changes: every node that can hold a shipment. */
export const addressChangeSubscribers: readonly ShipmentStage[] = ['picking', 'rebin', 'shipping'];

export interface AddressChangePayload {
  changeId: string;
  orderId: string;
  version: number;
  address: AddressPayload;
  requestedAt: string;
}

export type ChangeResult = 'APPLIED' | 'REJECTED';

/** What a change did to one element (a shipment, or the order before it is split into shipments). */
export interface ChangeOutcome {
  elementId: string;
  result: ChangeResult;
  detail: string | null;
}

/** A shipment that has left, as the shipping stage knows it. */
export interface LeftRecord {
  shipmentId: string;
  addressVersion: number;
  detail: string;
}

/** Each stage's mutation is named after it (`applyPickingAddressChange`): one field name per subgraph. */
export const applyAddressChangeField = (stage: string) => `apply${stage[0]!.toUpperCase()}${stage.slice(1)}AddressChange`;

export const applyAddressChangeOperation = (stage: string) => `mutation ApplyAddressChange($change: AddressChangeInput!, $dryRun: Boolean) {
  ${applyAddressChangeField(stage)}(change: $change, dryRun: $dryRun) { elementId result detail }
}`;

/** How tracking records what a change did to one element. */
export function changeTransition(change: Pick<AddressChangePayload, 'changeId' | 'orderId'>, node: string, outcome: ChangeOutcome): TransitionPayload {
  return transition({
    elementType: 'CHANGE',
    elementId: change.changeId,
    orderId: change.orderId,
    from: 'CHANGE_REQUESTED',
    to: outcome.result === 'APPLIED' ? 'CHANGE_APPLIED' : 'CHANGE_REJECTED',
    node,
    detail: outcome.detail,
    key: outcome.elementId,
  });
}

/** The transition and the outcome report that tell tracking and orders what a change did to one element. */
export function changeReport(change: Pick<AddressChangePayload, 'changeId' | 'orderId'>, node: string, outcome: ChangeOutcome): NewMessage[] {
  const { changeId, orderId } = change;
  return [
    track(changeTransition(change, node, outcome)),
    {
      id: `change-outcome:${changeId}:${outcome.elementId}`,
      target: 'orders',
      operation: operations.recordAddressChangeOutcome,
      variables: { input: { changeId, orderId, elementId: outcome.elementId, node, result: outcome.result, detail: outcome.detail } },
    },
  ];
}

export const addressVersionOf = (shipment: Pick<ShipmentPayload, 'addressVersion'>) => shipment.addressVersion ?? 0;

export function withAddress(shipment: ShipmentPayload, change: Pick<AddressChangePayload, 'address' | 'version'>): ShipmentPayload {
  return { ...shipment, address: change.address, addressVersion: change.version };
}

interface LoggedChange extends AddressChangePayload {
  _id: string;
  receivedAt: Date;
}

const where = { READY: 'queued', LEASED: 'being worked on', FAILED: 'parked in exceptions', DONE: 'done', CANCELLED: 'cancelled' } as const;

/**
 * A stage's side of address changes. The stage remembers every change it was sent, so a
 * shipment that was on its way here when the change went out is changed on arrival; and it
 * applies a change to the shipments it holds through its queue's `amend`, which settles the
 * race with a worker holding the shipment (the lease is revoked and the work redone, or the
 * worker had sealed it and the change is too late).
 */
export class StageChanges {
  readonly log: Collection<LoggedChange>;
  /** Reports of outcomes not tied to an amendment, delivered by the stage's outbox relay. */
  readonly reports: DurableQueue<null>;

  constructor(
    db: Db,
    readonly stage: ShipmentStage,
    private readonly shipments: DurableQueue<ShipmentPayload>,
    /** Shipments of the order that have left this stage for good (shipping: handed to a carrier). */
    private readonly left: (orderId: string) => Promise<LeftRecord[]> = async () => [],
  ) {
    this.log = db.collection<LoggedChange>('address_changes');
    this.reports = new DurableQueue<null>(db, 'change-reports');
  }

  async ensureIndexes(): Promise<void> {
    await this.log.createIndex({ orderId: 1, version: 1 }, { name: 'by_order' });
    await this.reports.ensureIndexes();
  }

  /**
   * Applies a change to every shipment of the order this stage holds or has sent out for
   * good, and returns what it did. Safe to repeat: a shipment that already carries the
   * change is reported applied again (receivers keep the first report). With `dryRun`,
   * writes nothing and says what would happen (the synchronous variant's first phase).
   */
  async apply(change: AddressChangePayload, options: { dryRun?: boolean } = {}): Promise<ChangeOutcome[]> {
    if (!options.dryRun) await this.remember(change);
    const held = (await this.shipments.items.find({ 'payload.orderId': change.orderId } as Filter<QueueItem<ShipmentPayload>>).toArray()) as QueueItem<ShipmentPayload>[];
    const outcomes: ChangeOutcome[] = [];
    for (const item of held) {
      const outcome = options.dryRun ? preview(this.stage, item, change) : await this.settle(item._id, change);
      if (outcome) outcomes.push(outcome);
    }
    for (const record of await this.left(change.orderId)) {
      if (outcomes.some((outcome) => outcome.elementId === record.shipmentId)) continue;
      const outcome: ChangeOutcome =
        record.addressVersion >= change.version
          ? { elementId: record.shipmentId, result: 'APPLIED', detail: `shipped to the new address: ${record.detail}` }
          : { elementId: record.shipmentId, result: 'REJECTED', detail: `too late: shipment ${record.shipmentId} has left (${record.detail})` };
      outcomes.push(outcome);
      if (!options.dryRun) await this.post(change, outcome);
    }
    return outcomes;
  }

  /** A shipment just arrived: apply, in order, every change it left its last stage without. Says whether there were any. */
  async onArrival(shipment: ShipmentPayload): Promise<boolean> {
    const missed = await this.log
      .find({ orderId: shipment.orderId, version: { $gt: addressVersionOf(shipment) } } as Filter<LoggedChange>)
      .sort({ version: 1 })
      .toArray();
    for (const change of missed) await this.settle(shipment.shipmentId, change);
    return missed.length > 0;
  }

  private async remember(change: AddressChangePayload): Promise<void> {
    const { changeId, orderId, version, address, requestedAt } = change;
    try {
      await this.log.insertOne({ _id: changeId, changeId, orderId, version, address, requestedAt, receivedAt: new Date() });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  }

  /** Applies one change to one held shipment; null when the shipment is no longer here. */
  private async settle(shipmentId: string, change: AddressChangePayload): Promise<ChangeOutcome | null> {
    let applied: ChangeOutcome | null = null;
    const { outcome, item } = await this.shipments.amend(shipmentId, (current) => {
      if (addressVersionOf(current.payload) >= change.version) return null;
      applied = { elementId: shipmentId, result: 'APPLIED', detail: `applied at ${this.stage} while ${where[current.status]}` };
      return { payload: withAddress(current.payload, change), messages: changeReport(change, this.stage, applied) };
    });
    if (outcome === 'amended') return applied;
    if (outcome === 'finished' || !item) return null;
    const result: ChangeOutcome =
      outcome === 'sealed'
        ? { elementId: shipmentId, result: 'REJECTED', detail: `too late: shipment ${shipmentId} was already being handed to the carrier at ${this.stage}` }
        : alreadyCarried(shipmentId, item.payload, change);
    await this.post(change, result);
    return result;
  }

  private post(change: AddressChangePayload, outcome: ChangeOutcome): Promise<void> {
    return this.reports.post(`report:${change.changeId}:${outcome.elementId}`, changeReport(change, this.stage, outcome));
  }
}

/** A shipment that needs no amendment either carries this change or a later one. */
function alreadyCarried(shipmentId: string, shipment: ShipmentPayload, change: AddressChangePayload): ChangeOutcome {
  return addressVersionOf(shipment) === change.version
    ? { elementId: shipmentId, result: 'APPLIED', detail: 'carries the new address' }
    : { elementId: shipmentId, result: 'REJECTED', detail: 'superseded by a later change' };
}

/** What `settle` would do, without doing it. */
function preview(stage: ShipmentStage, item: QueueItem<ShipmentPayload>, change: AddressChangePayload): ChangeOutcome | null {
  if (item.status === 'DONE' || item.status === 'CANCELLED') return null;
  if (addressVersionOf(item.payload) >= change.version) return alreadyCarried(item._id, item.payload, change);
  if (item.sealed) return { elementId: item._id, result: 'REJECTED', detail: `too late: shipment ${item._id} was already being handed to the carrier at ${stage}` };
  return { elementId: item._id, result: 'APPLIED', detail: `would be applied at ${stage} while ${where[item.status]}` };
}
