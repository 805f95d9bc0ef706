import type { Collection, Db, ObjectId } from 'mongodb';
import { REFUSED, VersionedDocuments, type Head } from '../../kit/versioned.ts';
import { findByIds } from '../../kit/mongo.ts';

// The only code that touches the customers collections.

export type RegionCode = 'US' | 'UK' | 'DE';
export type CardBrandCode = 'VISA' | 'MASTERCARD' | 'AMEX' | 'OTHER';

export interface AddressDoc {
  id: string;
  line1: string;
  line2?: string | null;
  city: string;
  postalCode: string;
  country: string;
}

export interface PaymentMethodDoc {
  id: string;
  token: string;
  brand: CardBrandCode;
  last4: string;
  expMonth: number;
  expYear: number;
}

export interface CustomerDoc {
  _id: ObjectId;
  name: string;
  email: string;
  homeRegion: RegionCode;
  addresses: AddressDoc[];
  paymentMethods: PaymentMethodDoc[];
  createdAt: Date;
  /** Bumped by every change; see kit/versioned.ts. New customers start at 0. */
  version: number;
}

/** What a change to a customer may touch: everything but its id and version. */
export type CustomerState = Omit<CustomerDoc, '_id' | 'version'>;

export class CustomerStore {
  readonly customers: Collection<CustomerDoc>;
  /**
   * Every change to an existing customer is claimed as a new version in
   * `customerHistory` before the head (the `customers` document) is written, so
   * concurrent changes on FerretDB, whose `$push` is read-modify-write, are never lost.
   */
  private readonly versions: VersionedDocuments<CustomerState, ObjectId>;

  constructor(db: Db) {
    this.customers = db.collection<CustomerDoc>('customers');
    this.versions = new VersionedDocuments<CustomerState, ObjectId>(
      this.customers as unknown as Collection<Head<CustomerState, ObjectId>>,
      db.collection('customerHistory'),
      { createHeads: false }, // customers are created by addCustomer's insert
    );
  }

  async ensureIndexes(): Promise<void> {
    await this.customers.createIndex({ email: 1 }, { unique: true, name: 'email_unique' });
    await this.versions.ensureIndexes();
  }

  /** One query (or, on FerretDB, one `_id` lookup each) for a whole batch of entity lookups. */
  async findByIds(ids: readonly ObjectId[]): Promise<CustomerDoc[]> {
    if (ids.length === 0) return [];
    return findByIds(this.customers, ids);
  }

  async list(limit: number): Promise<CustomerDoc[]> {
    return this.customers.find().sort({ _id: -1 }).limit(limit).toArray();
  }

  /** Throws a duplicate-key error when the email is taken. */
  async insert(customer: CustomerDoc): Promise<CustomerDoc> {
    await this.customers.insertOne(customer);
    return customer;
  }

  /** Appends an address; null when there is no such customer. Safe under concurrent writers in any number of processes. */
  async pushAddress(id: ObjectId, address: AddressDoc): Promise<CustomerDoc | null> {
    return this.change(id, (customer) => ({ ...customer, addresses: [...(customer.addresses ?? []), address] }));
  }

  /** Appends a payment method; null when there is no such customer. Safe under concurrent writers in any number of processes. */
  async pushPaymentMethod(id: ObjectId, method: PaymentMethodDoc): Promise<CustomerDoc | null> {
    return this.change(id, (customer) => ({ ...customer, paymentMethods: [...(customer.paymentMethods ?? []), method] }));
  }

  /**
   * Applies `apply` to an existing customer through VersionedDocuments; null when
   * there is no such customer. `apply` may run more than once (once per attempt).
   */
  private async change(id: ObjectId, apply: (customer: CustomerState) => CustomerState): Promise<CustomerDoc | null> {
    const key = id;
    for (let attempt = 0; ; attempt++) {
      let unversioned = false;
      const head = await this.versions.update(key, (current) => {
        unversioned = false;
        if (!current) return REFUSED;
        if (typeof current.version !== 'number') {
          unversioned = true;
          return REFUSED;
        }
        const { _id, version, ...state } = current;
        return apply(state);
      });
      if (head !== REFUSED) return head as unknown as CustomerDoc;
      if (!unversioned) return null;
      if (attempt > 0) throw new Error(`customer ${id.toHexString()} still has no version after it was given one`);
      // A customer stored before documents carried a version: a head without one can never
      // be replaced (the head write is conditional on an older version), so give it version 0 first.
      await this.customers.updateOne({ _id: id, version: { $exists: false } }, { $set: { version: 0 } });
    }
  }

  /** Idempotent: inserts the customer unless one with the same id exists. */
  async upsert(customer: CustomerDoc): Promise<void> {
    await this.customers.updateOne({ _id: customer._id }, { $setOnInsert: customer }, { upsert: true });
  }
}
