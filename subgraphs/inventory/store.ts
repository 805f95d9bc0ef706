import type { Collection, Db } from 'mongodb';

// The only code that touches the bin-items collection.

export interface BinItemDoc {
  _id: string; // `${distributionCenter}/${bin}/${sku}`: one document per sku per bin
  sku: string;
  distributionCenter: string;
  bin: string;
  quantity: number;
  reserved: number;
}

export interface StockLevel {
  onHand: number;
  reserved: number;
  available: number;
}

export const binItemId = (distributionCenter: string, bin: string, sku: string) => `${distributionCenter}/${bin}/${sku}`;

/**
 * Runs tasks for the same key one after another. The embedded FerretDB 1.24 applies
 * an update by reading the document, changing it in Go and writing it back, with no
 * transaction: neither `$inc` nor a filter on the levels read is atomic there, so
 * concurrent writers to one bin item lose units or overdraw. Serialising this
 * process's writes per bin item makes them safe on FerretDB; on MongoDB the
 * conditional updates below also keep several processes safe.
 */
class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const result = (this.tails.get(key) ?? Promise.resolve()).then(task);
    const tail = result.catch(() => {});
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}

export class InventoryStore {
  readonly binItems: Collection<BinItemDoc>;
  private readonly writes = new KeyedQueue();

  constructor(db: Db) {
    this.binItems = db.collection<BinItemDoc>('binItems');
  }

  async ensureIndexes(): Promise<void> {
    await this.binItems.createIndex({ sku: 1, distributionCenter: 1 }, { name: 'by_sku' });
    await this.binItems.createIndex({ distributionCenter: 1, sku: 1 }, { name: 'by_dc' });
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

  /** Adds units, creating the bin item when it is new. */
  async add(item: Pick<BinItemDoc, 'sku' | 'distributionCenter' | 'bin'>, units: number): Promise<BinItemDoc> {
    const _id = binItemId(item.distributionCenter, item.bin, item.sku);
    return this.writes.run(_id, async () => {
      const updated = await this.binItems.findOneAndUpdate(
        { _id },
        { $inc: { quantity: units }, $setOnInsert: { sku: item.sku, distributionCenter: item.distributionCenter, bin: item.bin, reserved: 0 } },
        { upsert: true, returnDocument: 'after' },
      );
      return updated!;
    });
  }

  /**
   * Removes units only if the bin keeps at least what is reserved. Writes to one
   * bin item are queued in this process (see KeyedQueue); across processes, the
   * update applies only to the exact levels that were checked, and retries when
   * another writer got there first, so concurrent removals can never overdraw.
   * Returns null when the bin does not hold enough.
   */
  remove(id: string, units: number): Promise<BinItemDoc | null> {
    return this.writes.run(id, () => this.removeChecked(id, units));
  }

  private async removeChecked(id: string, units: number): Promise<BinItemDoc | null> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const current = await this.binItems.findOne({ _id: id });
      if (!current || current.quantity - current.reserved < units) return null;
      const updated = await this.binItems.findOneAndUpdate(
        { _id: id, quantity: current.quantity, reserved: current.reserved },
        { $inc: { quantity: -units } },
        { returnDocument: 'after' },
      );
      if (updated) return updated;
    }
    throw new Error(`bin item ${id} is changing too fast to update; try again`);
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
