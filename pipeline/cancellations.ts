import type { Collection, Db, Filter } from 'mongodb';
import { atMostEvery } from '../kit/at-most-every.ts';
import { ensureIndex, isDuplicateKeyError } from '../kit/mongo.ts';
import type { DurableQueue, NewMessage, QueueItem } from '../kit/queue.ts';
import { PRUNE_EVERY_MS, type LeftRecord } from './address-changes.ts';
import { closeOfParked } from './exceptions.ts';
import { operations, type ShipmentPayload } from './messages.ts';
import { isHandOff, statusAfter, type ShipmentStage } from './routes.ts';
import { handedOver, handedOverMove, track, transition, type TransitionPayload } from './tracking.ts';

// An order's cancellation, as the stages see it (docs/cancellations.md). It travels exactly
// like an asynchronous address change: orders publishes it through its outbox to every stage
// that can hold a shipment; each stage remembers it and pulls the shipments of the order it
// holds, unless a worker has sealed one for the carrier; a shipment still on its way to a
// stage is pulled when it arrives. Races with workers are settled by the queue's
// compare-and-swap (`DurableQueue.withdraw`), never by timing.

/** The stages subscribed to cancellations: every node that can hold a shipment. */
export const cancellationSubscribers: readonly ShipmentStage[] = ['picking', 'rebin', 'shipping'];

export interface CancellationPayload {
  cancellationId: string;
  orderId: string;
  reason: string;
  requestedAt: string;
}

/** What a cancellation did to one element (a shipment, or the order before it was split). */
export interface CancellationOutcome {
  elementId: string;
  result: 'APPLIED' | 'REJECTED';
  detail: string | null;
}

export const applyCancellationField = (stage: string) => `apply${stage[0]!.toUpperCase()}${stage.slice(1)}Cancellation`;

export const applyCancellationOperation = (stage: string) => `mutation ApplyCancellation($cancellation: CancellationInput!) {
  ${applyCancellationField(stage)}(cancellation: $cancellation) { elementId result detail }
}`;

export const recordCancellationOutcomeOperation = `mutation RecordCancellationOutcome($input: CancellationOutcomeInput!) { recordCancellationOutcome(input: $input) }`;

/** How tracking records what a cancellation did to one element: one outcome per element, keyed by it. */
export function cancellationTransition(cancellation: Pick<CancellationPayload, 'cancellationId' | 'orderId'>, node: string, outcome: CancellationOutcome & { at?: Date }): TransitionPayload {
  const recorded = transition({
    elementType: 'CANCEL',
    elementId: cancellation.cancellationId,
    orderId: cancellation.orderId,
    from: 'CANCEL_REQUESTED',
    to: outcome.result === 'APPLIED' ? 'CANCEL_APPLIED' : 'CANCEL_REJECTED',
    node,
    detail: outcome.detail,
    // When the outcome was reached (an outcome orders recorded earlier and tells tracking of later), else now.
    at: outcome.at,
  });
  return { ...recorded, id: `CANCEL:${cancellation.cancellationId}:outcome:${outcome.elementId}` };
}

/**
 * Tells tracking and orders what a cancellation did to one element, and when: both record the same
 * time. `shipmentMoves`, the pulled shipment's own (the move that handed it over, then its stop),
 * go to both: orders tells tracking of them, and of the outcome, ahead of the order's move they
 * lead to (CANCELLED), at once, where this report to tracking goes through a relay; a subscriber
 * would otherwise hear the order cancelled before its shipment stopped.
 */
export function cancellationReport(
  cancellation: Pick<CancellationPayload, 'cancellationId' | 'orderId'>,
  node: string,
  outcome: CancellationOutcome,
  shipmentMoves: readonly TransitionPayload[] = [],
): NewMessage[] {
  const { cancellationId, orderId } = cancellation;
  const told = cancellationTransition(cancellation, node, outcome);
  const moves = shipmentMoves.length > 0 ? { moves: shipmentMoves.map(handedOver) } : {};
  return [
    track(...shipmentMoves, told),
    {
      id: `cancellation-outcome:${cancellationId}:${outcome.elementId}`,
      target: 'orders',
      operation: recordCancellationOutcomeOperation,
      variables: { input: { cancellationId, orderId, elementId: outcome.elementId, node, result: outcome.result, detail: outcome.detail, at: told.at, ...moves } },
    },
  ];
}

/**
 * A pulled shipment: tracking hears it stopped, inventory gives its units back (this centre's only).
 * Tracking's details name the cancellation, never its reason: a tracking link shows them, and
 * the reason is the customer's own words (the order's owner reads it on `Order.cancellation`).
 */
function pulled(stage: ShipmentStage, cancellation: CancellationPayload, item: QueueItem<ShipmentPayload>, outcome: CancellationOutcome): NewMessage[] {
  return pulledShipment(stage, stageState[stage], cancellation, item.payload, item, outcome);
}

/**
 * What pulling a shipment tells others, from the node that held it (a stage, or orders holding
 * it between two stages) in the state it was in there; `held` is the element it was held as.
 */
export function pulledShipment(
  node: string,
  from: string,
  cancellation: CancellationPayload,
  shipment: ShipmentPayload,
  held: Pick<QueueItem<unknown>, 'status' | 'outbox'>,
  outcome: CancellationOutcome,
): NewMessage[] {
  // Parked, or its hand-off on refused, it waited for a person, who need not act now: its exception closes.
  const waited = held.status === 'FAILED' || held.outbox.some((message) => message.refused);
  const close = waited ? closeOfParked(held.outbox, `the order was cancelled (${cancellation.cancellationId})`) : null;
  const stopped = transition({ elementType: 'SHIPMENT', elementId: shipment.shipmentId, orderId: shipment.orderId, from, to: 'CANCELLED', node, detail: `cancellation ${cancellation.cancellationId}` });
  return [
    ...(close ? [close] : []),
    ...cancellationReport(cancellation, node, outcome, [...handedOverMove(shipment), stopped]),
    {
      id: `release:${shipment.shipmentId}`,
      target: 'inventory',
      operation: operations.releaseReservation,
      variables: { reservationId: shipment.reservationId, distributionCenter: shipment.distributionCenter },
    },
  ];
}

export const stageState: Record<ShipmentStage, string> = { picking: 'PICKING', rebin: 'REBIN', shipping: 'SHIPPING' };
const where = { READY: 'queued', LEASED: 'being worked on', FAILED: 'parked in exceptions', DONE: 'done', CANCELLED: 'cancelled' } as const;

interface LoggedCancellation extends CancellationPayload {
  _id: string;
  receivedAt: Date;
}

/** How long a stage keeps a cancellation for shipments still on their way to it. */
export const CANCELLATION_RETENTION_MS = 7 * 24 * 3_600_000;

export class StageCancellations {
  readonly log: Collection<LoggedCancellation>;

  constructor(
    db: Db,
    readonly stage: ShipmentStage,
    private readonly shipments: DurableQueue<ShipmentPayload>,
    /** Where reports not tied to a withdrawal go (the stage's change-reports outbox, already relayed). */
    private readonly reports: DurableQueue<null>,
    /** Shipments of the order that have left this stage for good (shipping: handed to a carrier). */
    private readonly left: (orderId: string) => Promise<LeftRecord[]> = async () => [],
  ) {
    this.log = db.collection<LoggedCancellation>('cancellations');
    // A hand-off refused after the cancellation came is pulled as the refusal is recorded.
    if (stage !== 'shipping') shipments.whenRefused((item) => this.pullIfCancelled(item));
  }

  async ensureIndexes(): Promise<void> {
    await ensureIndex(this.log, { orderId: 1 }, { name: 'by_order' });
  }

  /**
   * Pulls every shipment of the order this stage holds, and reports those that left for good
   * as too late. Remembers the cancellation first, so a shipment arriving meanwhile is pulled
   * on arrival. Safe to repeat: receivers keep each element's first outcome.
   */
  async apply(cancellation: CancellationPayload): Promise<CancellationOutcome[]> {
    await this.remember(cancellation);
    // Finished ones moved on (the next stage, or `left`, answers for them) or were pulled already.
    const held = await this.shipments.liveWhere({ 'payload.orderId': cancellation.orderId } as Filter<QueueItem<ShipmentPayload>>);
    const outcomes: CancellationOutcome[] = [];
    for (const item of held) {
      const outcome = await this.pull(item._id, cancellation);
      if (outcome) outcomes.push(outcome);
    }
    // Done here, but the next node refused its hand-off and it waits for a person: it never left,
    // so it is pulled here. (Not at shipping, whose shipments are done once with the carrier.)
    if (this.stage !== 'shipping') {
      for (const item of await this.shipments.refusedWhere(cancellation.orderId)) {
        const outcome = await this.pullRefused(item, cancellation);
        if (outcome) outcomes.push(outcome);
      }
    }
    const answered = new Set(outcomes.map((outcome) => outcome.elementId));
    outcomes.push(...(await this.reportLeft(cancellation, (shipmentId) => !answered.has(shipmentId))));
    return outcomes;
  }

  /**
   * A shipment was just stored here: if its order was cancelled, it is pulled now. The stage
   * stores a shipment before looking for cancellations and remembers a cancellation before
   * looking for shipments, so one of the two always sees the other.
   */
  async arrived(item: QueueItem<ShipmentPayload>): Promise<QueueItem<ShipmentPayload>> {
    const cancellation = await this.log.findOne({ orderId: item.payload.orderId } as Filter<LoggedCancellation>);
    if (!cancellation) return item;
    const pulled = await this.pull(item._id, cancellation);
    // Worked and gone between being stored and this look (a worker here takes what is stored at
    // once): at shipping it left for good, and the cancellation comes too late, which orders must
    // hear (nothing else would tell it); elsewhere the next stage, which has the cancellation too,
    // pulls it as it arrives there.
    if (!pulled) await this.reportLeft(cancellation, (shipmentId) => shipmentId === item._id);
    return (await this.shipments.get(item._id)) ?? item;
  }

  /** Reports the order's shipments that `which` picks too late where they left this stage for good (shipping: handed to a carrier); the outcomes. */
  private async reportLeft(cancellation: CancellationPayload, which: (shipmentId: string) => boolean): Promise<CancellationOutcome[]> {
    const outcomes: CancellationOutcome[] = [];
    for (const record of await this.left(cancellation.orderId)) {
      if (!which(record.shipmentId)) continue;
      const outcome: CancellationOutcome = { elementId: record.shipmentId, result: 'REJECTED', detail: `too late: shipment ${record.shipmentId} has left (${record.detail})` };
      outcomes.push(outcome);
      await this.post(cancellation, outcome);
    }
    return outcomes;
  }

  /**
   * Pulls a shipment done here whose hand-off on was refused: it never left. Decided on the element
   * as it is written over (a person may have sent it again meanwhile); null if it was not pulled.
   */
  private async pullRefused(item: QueueItem<ShipmentPayload>, cancellation: CancellationPayload): Promise<CancellationOutcome | null> {
    const outcome: CancellationOutcome = { elementId: item._id, result: 'APPLIED', detail: `pulled at ${this.stage}, where its hand-off on was refused` };
    const from = statusAfter(this.stage, item.payload);
    const pulledHere = await this.shipments.resolveRefused(item._id, 'CANCEL', (current) =>
      current.outbox.some((message) => message.refused && isHandOff(message, current._id)) ? pulledShipment(this.stage, from, cancellation, current.payload, current, outcome) : null,
    );
    return pulledHere ? outcome : null;
  }

  /**
   * A refusal of a shipment's hand-off on, just recorded: if its order's cancellation came already
   * (remembered before it looked for refusals), the shipment is pulled now; otherwise the
   * cancellation, when it comes, finds the refusal.
   */
  private async pullIfCancelled(item: QueueItem<ShipmentPayload>): Promise<void> {
    const cancellation = await this.log.findOne({ orderId: item.payload.orderId } as Filter<LoggedCancellation>);
    if (cancellation) await this.pullRefused(item, cancellation);
  }

  private async remember(cancellation: CancellationPayload): Promise<void> {
    const { cancellationId, orderId, reason, requestedAt } = cancellation;
    try {
      await this.log.insertOne({ _id: cancellationId, cancellationId, orderId, reason, requestedAt, receivedAt: new Date() });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
    await this.prune();
  }

  /** Forgets cancellations past their retention: a range, so a scan of the log on FerretDB, hence not on every message. */
  private readonly prune = atMostEvery(PRUNE_EVERY_MS, () =>
    this.log.deleteMany({ receivedAt: { $lt: new Date(Date.now() - CANCELLATION_RETENTION_MS) } } as Filter<LoggedCancellation>),
  );

  /** Pulls one held shipment; null when it is no longer here (it moved on: the next stage answers). */
  private async pull(shipmentId: string, cancellation: CancellationPayload): Promise<CancellationOutcome | null> {
    const current = await this.shipments.items.findOne({ _id: shipmentId } as Filter<QueueItem<ShipmentPayload>>);
    if (!current) return null;
    const outcome: CancellationOutcome = { elementId: shipmentId, result: 'APPLIED', detail: `pulled at ${this.stage} while ${where[current.status]}` };
    const { outcome: withdrawal, item } = await this.shipments.withdraw(shipmentId, (live) => pulled(this.stage, cancellation, live as QueueItem<ShipmentPayload>, outcome));
    if (withdrawal === 'withdrawn') return outcome;
    if (withdrawal === 'sealed') {
      const late: CancellationOutcome = { elementId: shipmentId, result: 'REJECTED', detail: `too late: shipment ${shipmentId} was already being handed to the carrier at ${this.stage}` };
      await this.post(cancellation, late);
      return late;
    }
    // Pulled by an earlier delivery of this cancellation: the same answer again.
    if (item?.status === 'CANCELLED') return { elementId: shipmentId, result: 'APPLIED', detail: `pulled at ${this.stage}` };
    return null;
  }

  private post(cancellation: CancellationPayload, outcome: CancellationOutcome): Promise<void> {
    return this.reports.post(`cancel-report:${cancellation.cancellationId}:${outcome.elementId}`, cancellationReport(cancellation, this.stage, outcome));
  }
}
