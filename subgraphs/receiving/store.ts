import type { Collection, Db, Filter } from 'mongodb';
import { tryLater } from '../../kit/errors.ts';
import { ensureIndex, isDuplicateKeyError } from '../../kit/mongo.ts';
import { compareRows, connectionOf, findPageRows, type Connection, type Ordering, type PageRequest } from '../../kit/paging.ts';
import { DurableQueue, readItem, type QueueItem } from '../../kit/queue.ts';
import type { BinLocation } from '../../pipeline/bin-location.ts';
import { exceptionFor } from '../../pipeline/exceptions.ts';

// The only code that touches the receiving collections: its sequential queue of receipts.

export interface ReceiptPayload {
  receiptId: string;
  vendorId: string | null;
  sku: string;
  distributionCenter: string;
  bin: string;
  quantity: number;
  /** A customer's return coming back (absent for a distributor's delivery): orders refunds it once it is stocked. */
  returnId?: string;
}

export interface ReceiptResult {
  processedAt: Date;
}

export type ReceiptItem = QueueItem<ReceiptPayload, ReceiptResult>;

/** Which receipt brings a customer return back: claimed by a unique insert, `_id` the return's id, then `<id>#1`, `#2`... for each receipt that took it over. */
interface ReturnClaim {
  _id: string;
  receiptId: string;
  /** Absent on claims stored before it was kept. */
  claimedAt?: Date;
}

/**
 * How long a claim whose receipt was never recorded still holds its return: its request may be
 * between the claim and the receipt's enqueue, the next write. Past this, that request died (or
 * was refused), and another receipt may bring the return.
 */
export const UNRECORDED_CLAIM_HOLDS_MS = 60_000;
/** Takeovers of one return (a receipt cancelled, another brought it): far more than a warehouse makes. */
const MAX_RETURN_CLAIMS = 50;

export class ReceivingStore {
  readonly receipts: DurableQueue<ReceiptPayload, ReceiptResult>;
  /** Which receipt brings each customer return back: one receipt per return at a time. */
  private readonly returnReceipts: Collection<ReturnClaim>;

  constructor(db: Db, options: { visibilityTimeoutMs?: number; backoffBaseMs?: number } = {}) {
    this.receipts = new DurableQueue(db, 'receipts', {
      // Parking a receipt blocks every later one until a person acts, so it is the last
      // resort: keep retrying (backoff up to 30 s) for about ten minutes first.
      maxAttempts: 25,
      backoffMaxMs: 30_000,
      // Finished receipts are archived whatever the database: the head below is one query over
      // the live ones, which sees them all at one moment. (Queried a status at a time, a receipt
      // moving from one status to another between the queries was missed, and a later receipt
      // went first.) Receipts are few next to orders' steps.
      archive: true,
      ...options,
      // A return's receipt is its order's exception too: support finds it on the order.
      exceptionMessage: (item, reason) => exceptionFor({ service: 'receiving', queue: 'receipts', elementId: item._id, orderId: (item.payload as ReceiptPayload).returnId?.slice(0, 24) ?? null, reason }),
    });
    this.returnReceipts = db.collection('return_receipts');
  }

  /**
   * Claims a return for this receipt; the id of the receipt that holds it (another one when the
   * return is coming back with it). A claim by a receipt that does not bring the return (see
   * `brings`) is taken over by inserting the next claim: of two receipts taking one over, one
   * inserts it. Claims are never changed or removed, so no update's atomicity is relied on.
   */
  async claimReturn(returnId: string, receiptId: string): Promise<string> {
    for (let n = 0; n < MAX_RETURN_CLAIMS; n++) {
      const _id = n === 0 ? returnId : `${returnId}#${n}`;
      let claim = await this.returnReceipts.findOne({ _id });
      if (!claim) {
        try {
          await this.returnReceipts.insertOne({ _id, receiptId, claimedAt: new Date() });
          return receiptId;
        } catch (error) {
          if (!isDuplicateKeyError(error)) throw error;
          claim = await this.returnReceipts.findOne({ _id });
          // Never past a claim that exists: the next one would be taken while it holds.
          if (!claim) throw tryLater(`return ${returnId} is being claimed; try again`);
        }
      }
      if (claim.receiptId === receiptId || (await this.brings(claim, returnId))) return claim.receiptId;
    }
    throw new Error(`return ${returnId} was claimed ${MAX_RETURN_CLAIMS} times`);
  }

  /**
   * Whether a claim's receipt brings the return: one a person cancelled (parked, it stocked
   * nothing) does not, nor one recorded for something else (a request refused under another's
   * receipt id, after its claim), nor one never recorded once its request must have died.
   */
  private async brings(claim: ReturnClaim, returnId: string): Promise<boolean> {
    const receipt = await this.receipts.get(claim.receiptId);
    if (receipt) return receipt.status !== 'CANCELLED' && receipt.payload.returnId === returnId;
    return !!claim.claimedAt && Date.now() - claim.claimedAt.getTime() < UNRECORDED_CLAIM_HOLDS_MS;
  }

  async ensureIndexes(): Promise<void> {
    await this.receipts.ensureIndexes();
    await ensureIndex(this.receipts.items, { enqueuedAt: 1, _id: 1 }, { name: 'arrival' });
    await ensureIndex(this.receipts.finished, { enqueuedAt: 1, _id: 1 }, { name: 'arrival' });
  }

  /** The oldest receipt not yet finished: the only one a sequential queue may work on. */
  async head(): Promise<ReceiptItem | null> {
    const [head] = await this.receipts.items
      .find({ status: { $in: ['READY', 'LEASED', 'FAILED'] } } as Filter<ReceiptItem>)
      .sort({ enqueuedAt: 1, _id: 1 })
      .limit(1)
      .toArray();
    return head ? readItem(head as ReceiptItem) : null;
  }

  /** The receipts into this bin not finished yet (queued, being stocked, or parked), each with its units: the live receipts are few. */
  async liveInto({ sku, distributionCenter, bin }: BinLocation): Promise<{ receiptId: string; quantity: number }[]> {
    const live = await this.receipts.items
      .find({ status: { $in: ['READY', 'LEASED', 'FAILED'] }, 'payload.sku': sku, 'payload.distributionCenter': distributionCenter, 'payload.bin': bin } as Filter<ReceiptItem>, {
        projection: { payload: 1 },
      })
      .toArray();
    return live.map((item) => ({ receiptId: item._id, quantity: item.payload.quantity }));
  }

  /** A page of receipts, live or finished, most recently arrived first. */
  async list(page: PageRequest): Promise<Connection<ReceiptItem>> {
    // The live receipts, then the finished ones: archiving copies a receipt into `finished` before
    // it deletes the live one, so one archived between the two reads is in the second. Read at
    // the same time, the finished read could come before the copy and the live one after the
    // delete, and the receipt was missing from the page.
    const live = await findPageRows(this.receipts.items as never, {}, latestArrivalFirst, page);
    const finished = await findPageRows(this.receipts.finished as never, {}, latestArrivalFirst, page);
    // An element being archived is briefly in both collections: list it once.
    const byId = new Map([...finished, ...live].map((item) => [item._id, readItem(item as ReceiptItem)]));
    return connectionOf([...byId.values()].sort(compareRows(latestArrivalFirst)), page, latestArrivalFirst);
  }
}

const latestArrivalFirst: Ordering<ReceiptItem, string> = {
  list: 'receipts',
  timeField: 'enqueuedAt',
  direction: 'desc',
  timeOf: (receipt) => receipt.enqueuedAt,
  idOf: (receipt) => receipt._id,
  parseId: (id) => id,
};
