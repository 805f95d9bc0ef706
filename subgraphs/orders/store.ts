import type { Collection, Db, ObjectId } from 'mongodb';

// The only code that touches the orders collection.

export type OrderStatusCode = 'PLACED';

export interface MoneyDoc {
  amount: number;
  currency: string;
}

/**
 * A line carries what later stages need (title, weight, price) so the order can
 * travel through the pipeline without anyone reading the catalog again.
 */
export interface OrderLineDoc {
  sku: string;
  title: string;
  weightGrams: number;
  quantity: number;
  unitPrice: MoneyDoc;
}

export interface ShippingAddressDoc {
  name: string;
  line1: string;
  line2?: string | null;
  city: string;
  postalCode: string;
  country: string;
}

export interface OrderPaymentDoc {
  id: string;
  token: string;
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
}

export interface OrderDoc {
  _id: ObjectId;
  idempotencyKey: string;
  status: OrderStatusCode;
  customerId: string;
  customerEmail: string;
  lines: OrderLineDoc[];
  total: MoneyDoc;
  shippingAddress: ShippingAddressDoc;
  paymentMethod: OrderPaymentDoc;
  placedAt: Date;
}

export interface CustomerRef {
  id: string;
}

export class OrderStore {
  readonly orders: Collection<OrderDoc>;

  constructor(db: Db) {
    this.orders = db.collection<OrderDoc>('orders');
  }

  async ensureIndexes(): Promise<void> {
    await this.orders.createIndex({ idempotencyKey: 1 }, { unique: true, name: 'idempotency_key_unique' });
    await this.orders.createIndex({ customerId: 1, _id: -1 }, { name: 'by_customer' });
  }

  async findByIds(ids: readonly ObjectId[]): Promise<OrderDoc[]> {
    if (ids.length === 0) return [];
    return this.orders.find({ _id: { $in: [...ids] } }).toArray();
  }

  async list(filter: { customerId?: string }, limit: number): Promise<OrderDoc[]> {
    return this.orders.find(filter.customerId ? { customerId: filter.customerId } : {}).sort({ _id: -1 }).limit(limit).toArray();
  }

  /** Throws a duplicate-key error when an order with the same idempotency key exists. */
  async insert(order: OrderDoc): Promise<OrderDoc> {
    await this.orders.insertOne(order);
    return order;
  }

  async findByIdempotencyKey(key: string): Promise<OrderDoc | null> {
    return this.orders.findOne({ idempotencyKey: key });
  }
}

export interface ProductRef {
  sku: string;
}
