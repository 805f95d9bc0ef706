import type { Collection, Db, Filter } from 'mongodb';
import { atMostEvery } from '../kit/at-most-every.ts';
import { ensureIndex, isDuplicateKeyError } from '../kit/mongo.ts';
import { DurableQueue, type NewMessage, type QueueItem } from '../kit/queue.ts';
import { operations, type AddressPayload, type ShipmentPayload } from './messages.ts';
import type { ShipmentStage } from './routes.ts';
import { transition, type TransitionPayload } from './tracking.ts';

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
  /**
   * For an application: the address version the element had before it. Orders learns from
   * it which earlier changes the element skipped (they were superseded, never applied).
   */
  fromVersion?: number | null;
  /** When the node reached it (ISO 8601): a stage stamps what it answers, and orders records that time. */
  at?: string;
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
  ${applyAddressChangeField(stage)}(change: $change, dryRun: $dryRun) { elementId result detail fromVersion at }
}`;

/**
 * How tracking records what a change did to one element. Its id names the change and the
 * element, not the result: tracking keeps one outcome per element, as orders does.
 */
export function changeTransition(change: Pick<AddressChangePayload, 'changeId' | 'orderId'>, node: string, outcome: Omit<ChangeOutcome, 'at'> & { at?: Date }): TransitionPayload {
  const recorded = transition({
    elementType: 'CHANGE',
    elementId: change.changeId,
    orderId: change.orderId,
    from: 'CHANGE_REQUESTED',
    to: outcome.result === 'APPLIED' ? 'CHANGE_APPLIED' : 'CHANGE_REJECTED',
    node,
    detail: outcome.detail,
    // When the outcome was reached (an outcome orders recorded earlier and tells tracking of later), else now.
    at: outcome.at,
  });
  return { ...recorded, id: `CHANGE:${change.changeId}:outcome:${outcome.elementId}` };
}

/**
 * The report that tells orders what a change did to one element, and when. Orders records the
 * first outcome each element gets, from whichever node (itself included), and tells tracking
 * what it recorded: a stage that told tracking itself could be second at orders (behind orders'
 * own conclusion, a cancellation's, or another stage's), and the two would then disagree.
 */
export function changeReport(change: Pick<AddressChangePayload, 'changeId' | 'orderId'>, node: string, outcome: ChangeOutcome): NewMessage[] {
  const { changeId, orderId } = change;
  return [
    {
      id: `change-outcome:${changeId}:${outcome.elementId}`,
      target: 'orders',
      operation: operations.recordAddressChangeOutcome,
      variables: {
        input: {
          changeId,
          orderId,
          elementId: outcome.elementId,
          node,
          result: outcome.result,
          detail: outcome.detail,
          fromVersion: outcome.fromVersion ?? null,
          at: outcome.at ?? new Date().toISOString(),
        },
      },
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

/** How long a stage keeps a change for shipments still on their way to it (an outage longer than this loses the change for them). */
export const CHANGE_RETENTION_MS = 7 * 24 * 3_600_000;
/** How often a stage forgets changes and cancellations past their retention (each process, at most). */
export const PRUNE_EVERY_MS = 3_600_000;

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
    this.reports = new DurableQueue<null>(db, 'change-reports', { postsOnly: true });
  }

  async ensureIndexes(): Promise<void> {
    await ensureIndex(this.log, { orderId: 1, version: 1 }, { name: 'by_order' });
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
    // Finished ones moved on (the next stage, or `left`, answers for them) or were pulled already.
    const held = await this.shipments.liveWhere({ 'payload.orderId': change.orderId } as Filter<QueueItem<ShipmentPayload>>);
    const outcomes: ChangeOutcome[] = [];
    for (const item of held) {
      const outcome = options.dryRun ? preview(this.stage, item, change) : await this.settle(item._id, change);
      if (outcome) outcomes.push(outcome);
    }
    for (const record of await this.left(change.orderId)) {
      if (outcomes.some((outcome) => outcome.elementId === record.shipmentId)) continue;
      const outcome = reached(
        record.addressVersion < change.version
          ? { elementId: record.shipmentId, result: 'REJECTED', detail: `too late: shipment ${record.shipmentId} has left (${record.detail})` }
          : alreadyCarried(record.shipmentId, record.addressVersion, change, `shipped to the new address: ${record.detail}`),
      );
      outcomes.push(outcome);
      if (!options.dryRun) await this.post(change, outcome);
    }
    return outcomes;
  }

  /**
   * A shipment arrives: the changes this stage was sent that it left its last stage without
   * are applied, in order, before it is stored (so no worker here ever sees the old address),
   * and reported, again after a redelivery (reports are idempotent). A change that comes in
   * while it is being stored is applied to the stored shipment: a change is remembered before
   * shipments are looked for, and a shipment is stored before changes are looked for again,
   * so one of the two sees the other.
   */
  async arrive(shipment: ShipmentPayload, store: (shipment: ShipmentPayload) => Promise<QueueItem<ShipmentPayload>>): Promise<QueueItem<ShipmentPayload>> {
    const known = await this.missedBy(shipment);
    const item = await store(known.reduce((changed, change) => withAddress(changed, change), shipment));
    let from = addressVersionOf(shipment);
    for (const change of known) {
      if (addressVersionOf(item.payload) >= change.version) {
        await this.post(change, { elementId: shipment.shipmentId, result: 'APPLIED', detail: `applied at ${this.stage} on arrival`, fromVersion: from });
      }
      from = change.version;
    }
    const meanwhile = await this.missedBy(item.payload);
    for (const change of meanwhile) await this.settle(item._id, change);
    return meanwhile.length > 0 ? ((await this.shipments.get(item._id)) ?? item) : item;
  }

  /** Changes this stage was sent that are newer than the shipment's address, oldest first. */
  private missedBy(shipment: ShipmentPayload): Promise<LoggedChange[]> {
    return this.log
      .find({ orderId: shipment.orderId, version: { $gt: addressVersionOf(shipment) } } as Filter<LoggedChange>)
      .sort({ version: 1 })
      .toArray();
  }

  private async remember(change: AddressChangePayload): Promise<void> {
    const { changeId, orderId, version, address, requestedAt } = change;
    try {
      await this.log.insertOne({ _id: changeId, changeId, orderId, version, address, requestedAt, receivedAt: new Date() });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
    await this.prune();
  }

  /**
   * Keeps only what a shipment still on its way could need. By age, a range: a scan of the log on
   * FerretDB, so not on every change (an arrival looks changes up by its order, an index lookup).
   */
  private readonly prune = atMostEvery(PRUNE_EVERY_MS, () =>
    this.log.deleteMany({ receivedAt: { $lt: new Date(Date.now() - CHANGE_RETENTION_MS) } } as Filter<LoggedChange>),
  );

  /** Applies one change to one held shipment; null when the shipment is no longer here. */
  private async settle(shipmentId: string, change: AddressChangePayload): Promise<ChangeOutcome | null> {
    let applied: ChangeOutcome | null = null;
    const { outcome, item } = await this.shipments.amend(shipmentId, (current) => {
      const fromVersion = addressVersionOf(current.payload);
      if (fromVersion >= change.version) return null;
      applied = reached({ elementId: shipmentId, result: 'APPLIED', detail: `applied at ${this.stage} while ${where[current.status]}`, fromVersion });
      return { payload: withAddress(current.payload, change), messages: changeReport(change, this.stage, applied) };
    });
    if (outcome === 'amended') return applied;
    if (outcome === 'finished' || !item) return null;
    const result = reached(
      outcome === 'sealed' ? sealedTooLate(shipmentId, this.stage) : alreadyCarried(shipmentId, addressVersionOf(item.payload), change, 'carries the new address'),
    );
    await this.post(change, result);
    return result;
  }

  private post(change: AddressChangePayload, outcome: ChangeOutcome): Promise<void> {
    return this.reports.post(`report:${change.changeId}:${outcome.elementId}`, changeReport(change, this.stage, outcome));
  }
}

/**
 * An outcome dated as it is reached: the answer to a synchronous change's call and the report
 * sent to orders carry one time, whichever orders records first, and the history places it
 * where it happened among the shipment's moves.
 */
const reached = (outcome: ChangeOutcome): ChangeOutcome => ({ ...outcome, at: new Date().toISOString() });

/** A shipment that needs no amendment either carries this change or a later one. */
function alreadyCarried(shipmentId: string, version: number, change: AddressChangePayload, carries: string): ChangeOutcome {
  return version === change.version
    ? { elementId: shipmentId, result: 'APPLIED', detail: carries }
    : { elementId: shipmentId, result: 'REJECTED', detail: 'superseded by a later change' };
}

const sealedTooLate = (shipmentId: string, stage: ShipmentStage): ChangeOutcome => ({
  elementId: shipmentId,
  result: 'REJECTED',
  detail: `too late: shipment ${shipmentId} was already being handed to the carrier at ${stage}`,
});

/** What `settle` would do, without doing it. */
function preview(stage: ShipmentStage, item: QueueItem<ShipmentPayload>, change: AddressChangePayload): ChangeOutcome | null {
  if (item.status === 'DONE' || item.status === 'CANCELLED') return null;
  if (addressVersionOf(item.payload) >= change.version) return alreadyCarried(item._id, addressVersionOf(item.payload), change, 'carries the new address');
  if (item.sealed) return sealedTooLate(item._id, stage);
  return { elementId: item._id, result: 'APPLIED', detail: `would be applied at ${stage} while ${where[item.status]}` };
}
