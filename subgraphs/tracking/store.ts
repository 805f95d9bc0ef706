import type { Collection, Db } from 'mongodb';
import { isDuplicateKeyError } from '../../kit/mongo.ts';

// The only code that touches the tracking collections.

export interface TransitionDoc {
  _id: string;
  elementType: 'ORDER' | 'SHIPMENT' | 'CHARGE' | 'RECEIPT';
  elementId: string;
  orderId: string | null;
  from: string | null;
  to: string;
  node: string;
  at: Date;
  detail: string | null;
}

export interface OrderRef {
  id: string;
}

export class TrackingStore {
  readonly transitions: Collection<TransitionDoc>;

  constructor(db: Db) {
    this.transitions = db.collection<TransitionDoc>('transitions');
  }

  async ensureIndexes(): Promise<void> {
    await this.transitions.createIndex({ orderId: 1, at: 1 }, { name: 'by_order' });
    await this.transitions.createIndex({ elementId: 1, at: 1 }, { name: 'by_element' });
    await this.transitions.createIndex({ at: 1 }, { name: 'by_time' });
  }

  /** Stores each transition once: a re-delivered one is a duplicate key, and skipped. Returns how many were new. */
  async record(transitions: TransitionDoc[]): Promise<number> {
    let added = 0;
    for (const doc of transitions) {
      try {
        await this.transitions.insertOne(doc);
        added++;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
    }
    return added;
  }

  async forOrders(orderIds: readonly string[]): Promise<TransitionDoc[]> {
    if (orderIds.length === 0) return [];
    return this.transitions.find({ orderId: { $in: [...orderIds] } }).sort({ at: 1, _id: 1 }).toArray();
  }

  async forElement(elementId: string): Promise<TransitionDoc[]> {
    return this.transitions.find({ elementId }).sort({ at: 1, _id: 1 }).toArray();
  }

  async since(from: Date): Promise<TransitionDoc[]> {
    return this.transitions.find({ at: { $gte: from } }).sort({ at: 1, _id: 1 }).toArray();
  }
}
