import type { Collection, Db } from 'mongodb';
import { REFUSED, VersionedDocuments, type Head } from '../../kit/versioned.ts';

// The only code that touches the bin-items collection.

export interface BinItemDoc {
  _id: string; // `${distributionCenter}/${bin}/${sku}`: one document per sku per bin
  sku: string;
  distributionCenter: string;
  bin: string;
  quantity: number;
  reserved: number;
  /** Bumped by every change; see kit/versioned.ts. */
  version: number;
}

export interface StockLevel {
  onHand: number;
  reserved: number;
  available: number;
}

export const binItemId = (distributionCenter: string, bin: string, sku: string) => `${distributionCenter}/${bin}/${sku}`;

type BinState = Omit<BinItemDoc, '_id' | 'version'>;

export class InventoryStore {
  readonly binItems: Collection<BinItemDoc>;
  /** Every stock change is claimed as a new version of its bin item: see kit/versioned.ts. */
  private readonly versions: VersionedDocuments<BinState>;

  constructor(db: Db) {
    this.binItems = db.collection<BinItemDoc>('binItems');
    this.versions = new VersionedDocuments<BinState>(this.binItems as unknown as Collection<Head<BinState>>, db.collection('binItemHistory'));
  }

  async ensureIndexes(): Promise<void> {
    await this.binItems.createIndex({ sku: 1, distributionCenter: 1 }, { name: 'by_sku' });
    await this.binItems.createIndex({ distributionCenter: 1, sku: 1 }, { name: 'by_dc' });
    await this.versions.ensureIndexes();
  }

  /** Bin items of many skus in one query. */
  async findBySkus(skus: readonly string[]): Promise<BinItemDoc[]> {
    if (skus.length === 0) return [];
    return this.binItems.find({ sku: { $in: [...skus] } }).sort({ _id: 1 }).toArray();
  }

  async search(filter: { sku?: string | null; distributionCenter?: string | null }, limit: number): Promise<BinItemDoc[]> {
    const query: Partial<Pick<BinItemDoc, 'sku' | 'distributionCenter'>> = {};
    if (filter.sku) query.sku = filter.sku;
    if (filter.distributionCenter) query.distributionCenter = filter.distributionCenter;
    return this.binItems.find(query).sort({ _id: 1 }).limit(limit).toArray();
  }

  /** Adds units, creating the bin item when it is new. Safe under concurrent writers in any number of processes. */
  async add(item: Pick<BinItemDoc, 'sku' | 'distributionCenter' | 'bin'>, units: number): Promise<BinItemDoc> {
    const id = binItemId(item.distributionCenter, item.bin, item.sku);
    const head = await this.versions.update(id, (current) => ({
      sku: item.sku,
      distributionCenter: item.distributionCenter,
      bin: item.bin,
      quantity: (current?.quantity ?? 0) + units,
      reserved: current?.reserved ?? 0,
    }));
    return head as BinItemDoc;
  }

  /**
   * Removes units only if the bin keeps at least what is reserved; returns null
   * (and changes nothing) when it does not hold enough. Concurrent removals, from
   * any number of processes, can never take the bin below zero.
   */
  async remove(id: string, units: number): Promise<BinItemDoc | null> {
    const head = await this.versions.update(id, (current) => {
      if (!current || current.quantity - current.reserved < units) return REFUSED;
      const { _id, version, ...state } = current;
      return { ...state, quantity: current.quantity - units };
    });
    return head === REFUSED ? null : (head as BinItemDoc);
  }

  async upsert(item: BinItemDoc): Promise<void> {
    await this.binItems.updateOne({ _id: item._id }, { $setOnInsert: item }, { upsert: true });
  }
}

export function stockLevel(items: readonly BinItemDoc[]): StockLevel {
  const onHand = items.reduce((sum, item) => sum + item.quantity, 0);
  const reserved = items.reduce((sum, item) => sum + item.reserved, 0);
  return { onHand, reserved, available: onHand - reserved };
}

/** The inventory service's view of a product: just its key. */
export interface ProductRef {
  sku: string;
}
