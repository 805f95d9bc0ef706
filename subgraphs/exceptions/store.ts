import type { Collection, Db, Filter } from 'mongodb';
import { findPage, type Connection, type Ordering, type PageRequest } from '../../kit/paging.ts';
import { REFUSED, VersionedDocuments, type Head } from '../../kit/versioned.ts';

// The only code that touches the exceptions collections.

export type ExceptionStatusCode = 'OPEN' | 'RETRIED' | 'CANCELLED';

export interface ExceptionDoc {
  _id: string; // `${service}:${queue}:${elementId}`
  version: number;
  status: ExceptionStatusCode;
  service: string;
  queue: string;
  elementId: string;
  orderId: string | null;
  reason: string;
  /** Ids of the raises seen, so a re-delivered raise is not a new occurrence. */
  occurrences: string[];
  raisedAt: Date;
  resolvedAt: Date | null;
}

export interface OrderRef {
  id: string;
}

type State = Omit<ExceptionDoc, '_id' | 'version'>;

export class ExceptionStore {
  readonly exceptions: Collection<ExceptionDoc>;
  private readonly cas: VersionedDocuments<State>;

  constructor(db: Db) {
    this.exceptions = db.collection<ExceptionDoc>('exceptions');
    this.cas = new VersionedDocuments<State>(this.exceptions as unknown as Collection<Head<State>>, db.collection('exceptionHistory'));
  }

  async ensureIndexes(): Promise<void> {
    // Lists are most recently raised first, ties by id; support views name the status (OPEN by default).
    await this.exceptions.createIndex({ status: 1, raisedAt: -1, _id: -1 }, { name: 'by_status_raised' });
    await this.exceptions.createIndex({ service: 1, raisedAt: -1, _id: -1 }, { name: 'by_service_raised' });
    await this.exceptions.dropIndex('by_status').catch(() => undefined); // an earlier version's, without the tie-breaker
    await this.exceptions.createIndex({ orderId: 1 }, { name: 'by_order' });
    await this.cas.ensureIndexes();
  }

  /** Opens the exception, or reopens it for a new occurrence; a repeated delivery changes nothing. */
  async raise(input: Omit<State, 'status' | 'occurrences' | 'raisedAt' | 'resolvedAt'> & { id: string; occurrence: string }): Promise<ExceptionDoc> {
    const head = await this.cas.update(input.id, (current) => {
      if (current?.occurrences.includes(input.occurrence)) return REFUSED;
      const { id, occurrence, ...fields } = input;
      return { ...fields, status: 'OPEN', occurrences: [...(current?.occurrences ?? []), occurrence], raisedAt: new Date(), resolvedAt: null };
    });
    return head === REFUSED ? (await this.get(input.id))! : (head as ExceptionDoc);
  }

  async resolve(id: string, status: 'RETRIED' | 'CANCELLED'): Promise<ExceptionDoc | null> {
    const head = await this.cas.update(id, (current) => {
      if (!current || current.status !== 'OPEN') return REFUSED;
      const { _id, version, ...state } = current;
      return { ...state, status, resolvedAt: new Date() };
    });
    return head === REFUSED ? null : (head as ExceptionDoc);
  }

  async get(id: string): Promise<ExceptionDoc | null> {
    return this.exceptions.findOne({ _id: id });
  }

  async list(filter: { status?: ExceptionStatusCode | null; service?: string | null }, page: PageRequest): Promise<Connection<ExceptionDoc>> {
    const query: Filter<ExceptionDoc> = {};
    if (filter.status) query.status = filter.status;
    if (filter.service) query.service = filter.service;
    return findPage(this.exceptions, query, recentlyRaisedFirst, page);
  }

  async forOrders(orderIds: readonly string[]): Promise<ExceptionDoc[]> {
    if (orderIds.length === 0) return [];
    return this.exceptions.find({ orderId: { $in: [...orderIds] } }).sort({ raisedAt: -1 }).toArray();
  }
}

/** A reopened exception moves up (it was raised again); paging on from an older cursor does not show it twice. */
const recentlyRaisedFirst: Ordering<ExceptionDoc, string> = {
  list: 'exceptions',
  timeField: 'raisedAt',
  direction: 'desc',
  timeOf: (exception) => exception.raisedAt,
  idOf: (exception) => exception._id,
  parseId: (id) => id,
};
