import type { Collection, Db, ObjectId } from 'mongodb';
import { findByIds } from '../../kit/mongo.ts';

// The only code that touches the products collection.

export interface MoneyDoc {
  amount: number;
  currency: string;
}

export interface ProductDoc {
  _id: string; // the sku: products are addressed by sku everywhere
  title: string;
  description: string;
  price: MoneyDoc;
  weightGrams: number;
  vendorId: ObjectId;
}

export interface VendorRef {
  id: string;
}

export class ProductStore {
  readonly products: Collection<ProductDoc>;

  constructor(db: Db) {
    this.products = db.collection<ProductDoc>('products');
  }

  async ensureIndexes(): Promise<void> {
    await this.products.createIndex({ vendorId: 1, _id: 1 }, { name: 'by_vendor' });
  }

  async findBySkus(skus: readonly string[]): Promise<ProductDoc[]> {
    if (skus.length === 0) return [];
    return findByIds(this.products, skus);
  }

  async list(limit: number): Promise<ProductDoc[]> {
    return this.products.find().sort({ _id: 1 }).limit(limit).toArray();
  }

  async findByVendors(vendorIds: readonly ObjectId[]): Promise<ProductDoc[]> {
    if (vendorIds.length === 0) return [];
    return this.products.find({ vendorId: { $in: [...vendorIds] } }).sort({ _id: 1 }).toArray();
  }

  /** Throws a duplicate-key error when the sku exists. */
  async insert(product: ProductDoc): Promise<ProductDoc> {
    await this.products.insertOne(product);
    return product;
  }

  async upsert(product: ProductDoc): Promise<void> {
    await this.products.updateOne({ _id: product._id }, { $setOnInsert: product }, { upsert: true });
  }
}
