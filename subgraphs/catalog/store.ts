import type { Collection, Db, ObjectId } from 'mongodb';
import { ensureIndex, findByIds } from '../../kit/mongo.ts';
import { findPage, pageOfRows, type Connection, type Ordering, type PageRequest } from '../../kit/paging.ts';

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
  /**
   * The vendor's name, as the vendors service had it when the product was added (a vendor's name
   * never changes), so that a product's vendor is named without a request to vendors. Missing
   * on products added before catalog kept it: those ask vendors.
   */
  vendorName?: string;
}

export interface VendorRef {
  id: string;
  /** Set where catalog provides it (`Product.vendor`), never on a reference from another service. */
  name?: string;
}

export class ProductStore {
  readonly products: Collection<ProductDoc>;

  constructor(db: Db) {
    this.products = db.collection<ProductDoc>('products');
  }

  async ensureIndexes(): Promise<void> {
    await ensureIndex(this.products, { vendorId: 1, _id: 1 }, { name: 'by_vendor' });
  }

  async findBySkus(skus: readonly string[]): Promise<ProductDoc[]> {
    if (skus.length === 0) return [];
    return findByIds(this.products, skus);
  }

  /** A page of all products, by sku (the `_id` index). */
  async list(page: PageRequest): Promise<Connection<ProductDoc>> {
    return findPage(this.products, {}, bySku, page);
  }

  /** A page of one vendor's products, by sku (the by_vendor index); a vendor id that cannot be one has none. */
  async listByVendor(vendorId: ObjectId | null, page: PageRequest): Promise<Connection<ProductDoc>> {
    if (!vendorId) return pageOfRows([], bySku, page);
    return findPage(this.products, { vendorId }, bySku, page);
  }

  /** A page of products already found by sku (a short list the caller bounds); a sku asked for twice is listed once. */
  pageOf(products: readonly ProductDoc[], page: PageRequest): Connection<ProductDoc> {
    return pageOfRows([...new Map(products.map((product) => [product._id, product])).values()], bySku, page);
  }

  /** Throws a duplicate-key error when the sku exists. */
  async insert(product: ProductDoc): Promise<ProductDoc> {
    await this.products.insertOne(product);
    return product;
  }

  /**
   * Sets a product's price, in the currency it already has. The product as this change left it,
   * 'currency' when its price is in another currency, or null when there is no such sku. A
   * price is one field: of concurrent changes the last wins, and each answers with its own price.
   */
  async setPrice(sku: string, price: ProductDoc['price']): Promise<ProductDoc | 'currency' | null> {
    const before = await this.products.findOneAndUpdate({ _id: sku, 'price.currency': price.currency }, { $set: { price } }, { returnDocument: 'before' });
    if (before) return { ...before, price };
    return (await this.products.findOne({ _id: sku }, { projection: { _id: 1 } })) ? 'currency' : null;
  }

  async upsert(product: ProductDoc): Promise<void> {
    await this.products.updateOne({ _id: product._id }, { $setOnInsert: product }, { upsert: true });
  }
}

const bySku: Ordering<ProductDoc, string> = {
  list: 'products',
  direction: 'asc',
  idOf: (product) => product._id,
  parseId: (sku) => sku,
};
