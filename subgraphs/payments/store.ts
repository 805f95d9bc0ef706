import type { Collection, Db } from 'mongodb';
import { DurableQueue, type QueueItem } from '../../kit/queue.ts';
import { exceptionFor } from '../../pipeline/exceptions.ts';
import type { ChargeResultPayload } from '../../pipeline/messages.ts';

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
  outcome: 'APPROVED' | 'DECLINED';
  declineReason: string | null;
  amount: MoneyDoc;
  chargedAt: Date;
}

export type ChargeRequestItem = QueueItem<ChargeRequestPayload, ChargeResultPayload>;

export interface OrderRef {
  id: string;
}

export class PaymentsStore {
  readonly requests: DurableQueue<ChargeRequestPayload, ChargeResultPayload>;
  readonly charges: Collection<ChargeDoc>;

  constructor(db: Db, options: { maxAttempts?: number; visibilityTimeoutMs?: number } = {}) {
    this.requests = new DurableQueue(db, 'charges', {
      maxAttempts: options.maxAttempts ?? 5,
      visibilityTimeoutMs: options.visibilityTimeoutMs ?? 30_000,
      exceptionMessage: (item, reason) =>
        exceptionFor({ service: 'payments', queue: 'charges', elementId: item._id, orderId: (item.payload as ChargeRequestPayload).orderId, reason }),
    });
    this.charges = db.collection<ChargeDoc>('charges');
  }

  async ensureIndexes(): Promise<void> {
    await this.requests.ensureIndexes();
    await this.charges.createIndex({ orderId: 1, chargedAt: -1 }, { name: 'by_order' });
    await this.charges.createIndex({ token: 1 }, { name: 'by_token' });
  }

  /** Latest charge of each of many orders, in one query. */
  async latestChargesForOrders(orderIds: readonly string[]): Promise<ChargeDoc[]> {
    if (orderIds.length === 0) return [];
    const charges = await this.charges.find({ orderId: { $in: [...orderIds] } }).sort({ chargedAt: -1 }).toArray();
    const latest = new Map<string, ChargeDoc>();
    for (const charge of charges) if (charge.orderId && !latest.has(charge.orderId)) latest.set(charge.orderId, charge);
    return [...latest.values()];
  }
}
