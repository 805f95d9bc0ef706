import type { Collection, Db, ObjectId } from 'mongodb';
import { ensureIndex, findByIds, isDuplicateKeyError } from '../../kit/mongo.ts';
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

/** A name taken by a vendor, as names are told apart (`nameKey`): its `_id` is unique, so of two adds at once one takes it. */
interface NameClaim {
  _id: string;
  vendorId: ObjectId;
}

/**
 * How vendor names are told apart: composed (NFC), runs of spaces as one, letter case aside.
 * "Case Vendor", "case vendor" and " Case  Vendor " are one name.
 */
export const nameKey = (name: string) => name.normalize('NFC').replace(/\s+/g, ' ').trim().toLowerCase();

export class VendorStore {
  readonly vendors: Collection<VendorDoc>;
  private readonly names: Collection<NameClaim>;

  constructor(db: Db) {
    this.vendors = db.collection<VendorDoc>('vendors');
    this.names = db.collection<NameClaim>('vendor_names');
  }

  async ensureIndexes(): Promise<void> {
    await ensureIndex(this.vendors, { name: 1 }, { unique: true, name: 'name_unique' });
    await ensureIndex(this.vendors, { name: 1, _id: 1 }, { name: 'by_name' }); // the list's order, id included
    await this.claimUnclaimedNames();
  }

  /** Vendors stored before names were claimed get their claims (two whose names are one keep both vendors; the first claims it). */
  private async claimUnclaimedNames(): Promise<void> {
    const claimed = new Set((await this.names.find({}, { projection: { vendorId: 1 } }).toArray()).map((claim) => claim.vendorId.toHexString()));
    const unclaimed = (await this.vendors.find({}, { projection: { name: 1 } }).toArray()).filter((vendor) => !claimed.has(vendor._id.toHexString()));
    for (const vendor of unclaimed) await this.claimName(vendor.name, vendor._id);
  }

  /** Claims `name` for `vendorId`; answers the vendor id that holds it (another's, if taken). */
  async claimName(name: string, vendorId: ObjectId): Promise<ObjectId> {
    const _id = nameKey(name);
    try {
      await this.names.insertOne({ _id, vendorId });
      return vendorId;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      return (await this.names.findOne({ _id }))!.vendorId;
    }
  }

  async findByIds(ids: readonly ObjectId[]): Promise<VendorDoc[]> {
    if (ids.length === 0) return [];
    return findByIds(this.vendors, ids);
  }

  /** A page of vendors by name. */
  async list(page: PageRequest): Promise<Connection<VendorDoc>> {
    return findPage(this.vendors, {}, byName, page);
  }


  /** Throws a duplicate-key error when the name is taken. */
  async insert(vendor: VendorDoc): Promise<VendorDoc> {
    await this.vendors.insertOne(vendor);
    return vendor;
  }

  async upsert(vendor: VendorDoc): Promise<void> {
    await this.vendors.updateOne({ _id: vendor._id }, { $setOnInsert: vendor }, { upsert: true });
    await this.claimName(vendor.name, vendor._id);
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
