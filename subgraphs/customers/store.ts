import { ObjectId, type Collection, type Db } from 'mongodb';

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
}

export class CustomerStore {
  readonly customers: Collection<CustomerDoc>;

  constructor(db: Db) {
    this.customers = db.collection<CustomerDoc>('customers');
  }

  async ensureIndexes(): Promise<void> {
    await this.customers.createIndex({ email: 1 }, { unique: true, name: 'email_unique' });
  }

  /** One `$in` query for a whole batch of entity lookups. */
  async findByIds(ids: readonly ObjectId[]): Promise<CustomerDoc[]> {
    if (ids.length === 0) return [];
    return this.customers.find({ _id: { $in: [...ids] } }).toArray();
  }

  async list(limit: number): Promise<CustomerDoc[]> {
    return this.customers.find().sort({ _id: -1 }).limit(limit).toArray();
  }

  /** Throws a duplicate-key error when the email is taken. */
  async insert(customer: CustomerDoc): Promise<CustomerDoc> {
    await this.customers.insertOne(customer);
    return customer;
  }

  async pushAddress(id: ObjectId, address: AddressDoc): Promise<CustomerDoc | null> {
    return this.customers.findOneAndUpdate({ _id: id }, { $push: { addresses: address } }, { returnDocument: 'after' });
  }

  async pushPaymentMethod(id: ObjectId, method: PaymentMethodDoc): Promise<CustomerDoc | null> {
    return this.customers.findOneAndUpdate({ _id: id }, { $push: { paymentMethods: method } }, { returnDocument: 'after' });
  }

  /** Idempotent: inserts the customer unless one with the same id exists. */
  async upsert(customer: CustomerDoc): Promise<void> {
    await this.customers.updateOne({ _id: customer._id }, { $setOnInsert: customer }, { upsert: true });
  }
}
