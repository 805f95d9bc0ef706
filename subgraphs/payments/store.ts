import type { Collection, Db } from 'mongodb';
import { ensureIndex, findWhereIn, insertIgnoringDuplicates, isDuplicateKeyError } from '../../kit/mongo.ts';
import { DurableQueue, type QueueItem } from '../../kit/queue.ts';
import { REFUSED, VersionedDocuments } from '../../kit/versioned.ts';
import { exceptionFor } from '../../pipeline/exceptions.ts';
import { parkedRefundMessages } from './refund-transitions.ts';
import { isOrderChargeId, type ChargeResultPayload } from '../../pipeline/messages.ts';
import type { TransitionPayload } from '../../pipeline/tracking.ts';

// The only code that touches the payments collections.

export interface MoneyDoc {
  amount: number;
  currency: string;
}

export interface CardDoc {
  token: string;
  last4: string;
  expMonth: number;
  expYear: number;
}

/** A charge request: the queue element a payments worker works on. */
export interface ChargeRequestPayload {
  requestId: string;
  orderId: string | null;
  amount: MoneyDoc;
  card: CardDoc;
  callbackUrl: string | null;
  replyTo: string | null;
}

/** The processor's record of a charge. Its _id is the request id: one request is charged once. */
export interface ChargeDoc {
  _id: string;
  orderId: string | null;
  token: string;
  /** The card's last four digits (absent on charges made before refunds): the simulation's refund rules go by them. */
  last4?: string;
  outcome: 'APPROVED' | 'DECLINED';
  declineReason: string | null;
  amount: MoneyDoc;
  chargedAt: Date;
}

/** A refund request: the queue element a payments worker works on, retried, parked in exceptions when it keeps failing. */
export interface RefundPayload {
  refundId: string;
  orderId: string | null;
  chargeId: string;
  amount: MoneyDoc;
  reason: string;
  /** What the refund follows, told to tracking ahead of its own moves (RefundRequestInput.after). */
  after?: TransitionPayload[];
  /** The outcome of the charge it pays back, as payments told tracking of it, told again with the refund's moves (paid back or parked). */
  charged?: TransitionPayload;
}

/** The processor's record of a refund. Its _id is the refund id: one refund is paid back once. */
export interface RefundDoc {
  _id: string;
  chargeId: string;
  orderId: string | null;
  amount: MoneyDoc;
  refundedAt: Date;
  /** Given up before it was paid (see voidRefund): nothing was paid back, and it never will be. */
  voided?: boolean;
}

/** What of a charge is promised to refunds: the total and which refunds it is for. */
export interface RefundLedger {
  refunded: number;
  refundIds: string[];
}

export type RefundItem = QueueItem<RefundPayload, RefundDoc>;

export type ChargeRequestItem = QueueItem<ChargeRequestPayload, ChargeResultPayload>;

export interface OrderRef {
  id: string;
}

export class PaymentsStore {
  readonly requests: DurableQueue<ChargeRequestPayload, ChargeResultPayload>;
  readonly charges: Collection<ChargeDoc>;
  readonly refundRequests: DurableQueue<RefundPayload, RefundDoc>;
  readonly refunds: Collection<RefundDoc>;
  /**
   * Which order each refund request is for, by order and refund id. An order's refunds are found through
   * this top-level, indexed field: FerretDB 1.24 serves a dotted field (the queue element's
   * `payload.orderId`) by decoding every element, about half a second at 10,000.
   */
  readonly refundOrders: Collection<RefundOrderDoc>;
  /** One-off changes to stored data this database has had (`_id` names each). */
  private readonly migrations: Collection<{ _id: string; at: Date }>;
  /** The simulation's memory of refunds it failed (its test card fails each refund's first attempts). */
  readonly refundFailures: Collection<{ refundId: string; at: Date }>;
  /** Per charge, what refunds have taken of it (see reserveRefund). */
  private readonly refundLedgers: VersionedDocuments<RefundLedger>;

  constructor(db: Db, options: { maxAttempts?: number; visibilityTimeoutMs?: number; refundMaxAttempts?: number } = {}) {
    this.requests = new DurableQueue(db, 'charges', {
      maxAttempts: options.maxAttempts ?? 5,
      visibilityTimeoutMs: options.visibilityTimeoutMs ?? 30_000,
      exceptionMessage: (item, reason) =>
        exceptionFor({ service: 'payments', queue: 'charges', elementId: item._id, orderId: (item.payload as ChargeRequestPayload).orderId, reason }),
    });
    this.charges = db.collection<ChargeDoc>('charges');
    this.refundRequests = new DurableQueue(db, 'refunds', {
      maxAttempts: options.refundMaxAttempts ?? 6,
      visibilityTimeoutMs: options.visibilityTimeoutMs ?? 30_000,
      exceptionMessage: (item, reason) =>
        exceptionFor({ service: 'payments', queue: 'refunds', elementId: item._id, orderId: (item.payload as RefundPayload).orderId, reason }),
      parkedMessages: parkedRefundMessages,
    });
    this.refunds = db.collection<RefundDoc>('refunds');
    this.refundFailures = db.collection('refund_failures');
    this.refundOrders = db.collection<RefundOrderDoc>('refund_orders');
    this.migrations = db.collection('migrations');
    this.refundLedgers = new VersionedDocuments(db.collection('refund_ledgers'), db.collection('refund_ledgers_history'));
  }

  /**
   * Takes `amount` of `charge` for refund `refundId`, unless the charge's refunds would then exceed
   * what it charged: check and take in one compare-and-swap, so two refunds of one charge at the same
   * moment cannot together take more (FerretDB applies no update atomically; kit/versioned.ts).
   * Taking again for the same refund id takes nothing more. Answers what was left when refused.
   */
  async reserveRefund(charge: ChargeDoc, refundId: string, amount: number): Promise<{ reserved: true } | { reserved: false; left: number }> {
    // A charge refunded before the ledger existed starts from its refunds on record.
    const known = await this.refundLedgers.heads.findOne({ _id: charge._id });
    const before = known ? undefined : await this.refunds.find({ chargeId: charge._id }).toArray();
    const fromRecords: RefundLedger = { refunded: (before ?? []).reduce((sum, refund) => sum + refund.amount.amount, 0), refundIds: (before ?? []).map((refund) => refund._id) };
    let refusedWithLeft: number | undefined;
    await this.refundLedgers.update(
      charge._id,
      (current) => {
        refusedWithLeft = undefined;
        const ledger = current ?? fromRecords;
        // Taken already (an earlier attempt of this refund): nothing more to take.
        if (ledger.refundIds.includes(refundId)) return REFUSED;
        const left = charge.amount.amount - ledger.refunded;
        if (amount > left) {
          refusedWithLeft = left;
          return REFUSED;
        }
        return { refunded: ledger.refunded + amount, refundIds: [...ledger.refundIds, refundId] };
      },
      known ?? undefined,
    );
    return refusedWithLeft === undefined ? { reserved: true } : { reserved: false, left: refusedWithLeft };
  }

  /**
   * Voids refund `refundId` unless it was paid, and gives back what it took of its charge: for a
   * refund given up from exceptions, so that what it took is not lost to later refunds. A void
   * refund (amount 0) is stored under the refund's id: of it and the payment, whichever is stored
   * first wins (a unique key), so a worker still paying it cannot pay it after it was given back.
   * Safe to repeat.
   */
  async voidRefund(payload: RefundPayload): Promise<void> {
    const voided: RefundDoc = { _id: payload.refundId, chargeId: payload.chargeId, orderId: payload.orderId, amount: { amount: 0, currency: payload.amount.currency }, refundedAt: new Date(), voided: true };
    try {
      await this.refunds.insertOne(voided);
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      if (!(await this.refunds.findOne({ _id: payload.refundId }))?.voided) return;
    }
    await this.giveBackRefund(payload.chargeId, payload.refundId, payload.amount.amount);
  }

  /** Gives back to the charge's ledger what voided refund `refundId` took of it, if it took anything. */
  async giveBackRefund(chargeId: string, refundId: string, amount: number): Promise<void> {
    await this.refundLedgers.update(chargeId, (current) =>
      current?.refundIds.includes(refundId) ? { refunded: current.refunded - amount, refundIds: current.refundIds.filter((id) => id !== refundId) } : REFUSED,
    );
  }

  queue(name: string) {
    if (name === 'charges') return this.requests as DurableQueue<unknown, unknown>;
    if (name === 'refunds') return this.refundRequests as DurableQueue<unknown, unknown>;
    return undefined;
  }

  async ensureIndexes(): Promise<void> {
    await this.requests.ensureIndexes();
    await ensureIndex(this.charges, { orderId: 1, chargedAt: -1 }, { name: 'by_order' });
    await ensureIndex(this.charges, { token: 1 }, { name: 'by_token' });
    await this.refundRequests.ensureIndexes();
    await ensureIndex(this.refundOrders, { orderId: 1 }, { name: 'by_order' });
    await ensureIndex(this.refunds, { chargeId: 1 }, { name: 'by_charge' });
    await ensureIndex(this.refundFailures, { refundId: 1 }, { name: 'by_refund' });
    await this.refundLedgers.ensureIndexes();
    await this.indexEarlierRefunds();
  }

  /**
   * Notes which order a refund is for, before the refund is requested (so a stored request always
   * has its note). One note per order and refund id: a request refused as a CONFLICT (the same id
   * for another order) leaves a note of its own, which leads to a request for another order and is
   * passed over, never one that hides the accepted request's.
   */
  async noteRefundOrder(refundId: string, orderId: string | null): Promise<void> {
    await insertIgnoringDuplicates(this.refundOrders, [refundNote(refundId, orderId)]);
  }

  /**
   * Refund requests stored before `refund_orders` existed get their note, once per database: one
   * read of every request at that start, none after (`migrations` records it was done). So stop
   * every payments process of an older version before this one first starts (as `npm start` and
   * `docker compose up` do): a request an older process stores after that has no note.
   */
  private async indexEarlierRefunds(): Promise<void> {
    if (await this.migrations.findOne({ _id: 'refund_orders_by_order_and_id' })) return;
    for (const collection of [this.refundRequests.items, this.refundRequests.finished]) {
      const requests = await collection.find({}, { projection: { _id: 1, payload: 1 } }).toArray();
      await insertIgnoringDuplicates(this.refundOrders, requests.map((request) => refundNote(request._id, (request.payload as RefundPayload | null)?.orderId ?? null)));
    }
    await insertIgnoringDuplicates(this.migrations, [{ _id: 'refund_orders_by_order_and_id', at: new Date() }]);
  }

  /** Latest charge of each of many orders, in one query. */
  /**
   * Each order's latest charge of those the order itself asked for (its coordinator's requests,
   * `<orderId>:charge:<attempt>`): another charge a person made naming the order (a fee) is not
   * what the order was charged, and its refunds are measured against the order's.
   */
  async latestChargesForOrders(orderIds: readonly string[]): Promise<ChargeDoc[]> {
    if (orderIds.length === 0) return [];
    const charges = (await findWhereIn(this.charges, 'orderId', orderIds)).sort((a, b) => b.chargedAt.getTime() - a.chargedAt.getTime());
    const latest = new Map<string, ChargeDoc>();
    for (const charge of charges) {
      if (charge.orderId && isOrderChargeId(charge._id, charge.orderId) && !latest.has(charge.orderId)) latest.set(charge.orderId, charge);
    }
    return [...latest.values()];
  }

  /** Every refund of many orders, live or finished, oldest first: a lookup per order, then one or two per refund, all by index. */
  async refundsForOrders(orderIds: readonly string[]): Promise<RefundItem[]> {
    if (orderIds.length === 0) return [];
    const notes = await findWhereIn(this.refundOrders, 'orderId', orderIds);
    const requests = await Promise.all(notes.map((note) => this.refundRequests.get(note.refundId)));
    // A note whose request is missing (its requester stopped between the two writes) or is for
    // another order (it was refused as a CONFLICT) is passed over.
    // One note per order and refund id, and a request is for one order: no refund comes twice.
    const refunds = requests.filter((item, i): item is RefundItem => item !== null && item.payload.orderId === notes[i]!.orderId);
    return refunds.sort((a, b) => a.enqueuedAt.getTime() - b.enqueuedAt.getTime());
  }
}

/** Which order a refund request is for (`refund_orders`); `_id` is `[orderId, refundId]` as JSON. */
export interface RefundOrderDoc {
  _id: string;
  orderId: string | null;
  refundId: string;
}

function refundNote(refundId: string, orderId: string | null): RefundOrderDoc {
  return { _id: JSON.stringify([orderId, refundId]), orderId, refundId };
}
