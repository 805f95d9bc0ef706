import { demo } from '../demo-data.ts';
import { binItemId, type BinItemDoc, type InventoryStore } from './store.ts';

const levels: Record<(typeof demo.skus)[number], [dc: string, bin: string, quantity: number][]> = {
  'BOOK-001': [['LHR1', 'A-01', 40], ['FRA1', 'B-07', 12]],
  'BOOK-002': [['LHR1', 'A-02', 120]],
  'MUG-001': [['LHR1', 'C-11', 300], ['FRA1', 'C-02', 80]],
  'LAMP-001': [['FRA1', 'D-04', 15]],
};

/** Idempotent: a second run changes nothing. */
export async function seedInventory(store: InventoryStore): Promise<void> {
  for (const [sku, bins] of Object.entries(levels)) {
    for (const [distributionCenter, bin, quantity] of bins) {
      const item: BinItemDoc = { _id: binItemId(distributionCenter, bin, sku), sku, distributionCenter, bin, quantity, reserved: 0, version: 0 };
      await store.upsert(item);
    }
  }
}
