import type { Collection, Db, ObjectId } from 'mongodb';
import { findByIds } from '../../kit/mongo.ts';

// The only code that touches the vendors collection.

export interface VendorDoc {
  _id: ObjectId;
  name: string;
  country: string;
  contactEmail: string;
  leadTimeDays: number;
}

export class VendorStore {
  readonly vendors: Collection<VendorDoc>;

  constructor(db: Db) {
    this.vendors = db.collection<VendorDoc>('vendors');
  }

  async ensureIndexes(): Promise<void> {
    await this.vendors.createIndex({ name: 1 }, { unique: true, name: 'name_unique' });
  }

  async findByIds(ids: readonly ObjectId[]): Promise<VendorDoc[]> {
    if (ids.length === 0) return [];
    return findByIds(this.vendors, ids);
  }

  async list(limit: number): Promise<VendorDoc[]> {
    return this.vendors.find().sort({ name: 1 }).limit(limit).toArray();
  }

  async insert(vendor: VendorDoc): Promise<VendorDoc> {
    await this.vendors.insertOne(vendor);
    return vendor;
  }

  async upsert(vendor: VendorDoc): Promise<void> {
    await this.vendors.updateOne({ _id: vendor._id }, { $setOnInsert: vendor }, { upsert: true });
  }
}
