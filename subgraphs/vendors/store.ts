import type { Collection, Db, ObjectId } from 'mongodb';
import { ensureIndex, findByIds } from '../../kit/mongo.ts';
import { findPage, type Connection, type Ordering, type PageRequest } from '../../kit/paging.ts';
import { parseId } from '../../kit/ids.ts';

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
    await ensureIndex(this.vendors, { name: 1 }, { unique: true, name: 'name_unique' });
    await ensureIndex(this.vendors, { name: 1, _id: 1 }, { name: 'by_name' }); // the list's order, id included
  }

  async findByIds(ids: readonly ObjectId[]): Promise<VendorDoc[]> {
    if (ids.length === 0) return [];
    return findByIds(this.vendors, ids);
  }

  /** A page of vendors by name. */
  async list(page: PageRequest): Promise<Connection<VendorDoc>> {
    return findPage(this.vendors, {}, byName, page);
  }

  /** The vendor of this name (names are unique: the name_unique index). */
  async findByName(name: string): Promise<VendorDoc | null> {
    return this.vendors.findOne({ name });
  }

  /** Throws a duplicate-key error when the name is taken. */
  async insert(vendor: VendorDoc): Promise<VendorDoc> {
    await this.vendors.insertOne(vendor);
    return vendor;
  }

  async upsert(vendor: VendorDoc): Promise<void> {
    await this.vendors.updateOne({ _id: vendor._id }, { $setOnInsert: vendor }, { upsert: true });
  }
}

/** Names are unique; the id makes the order total all the same, as every list's is. */
const byName: Ordering<VendorDoc, ObjectId> = {
  list: 'vendors',
  textField: 'name',
  direction: 'asc',
  textOf: (vendor) => vendor.name,
  idOf: (vendor) => vendor._id.toHexString(),
  parseId: (id) => parseId(id, 'after'),
};
