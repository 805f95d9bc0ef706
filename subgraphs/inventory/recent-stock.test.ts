import { describe, expect, it } from 'vitest';
import { RecentStock } from './recent-stock.ts';
import type { BinItemDoc } from './store.ts';

// The bins of the skus asked for, as the database would answer: `quantity` units in one bin each.
const binsOf = (skus: readonly string[], quantity: number): BinItemDoc[] =>
  skus.map((sku) => ({ _id: `LHR1/A-01/${sku}`, sku, distributionCenter: 'LHR1', bin: 'A-01', quantity, reserved: 0, version: 1 }));

describe('stock as product and order views show it', () => {
  it('is read once for views within a second, and again after one', async () => {
    const reads: string[][] = [];
    const recent = new RecentStock(async (skus) => (reads.push([...skus]), binsOf(skus, 5)), 200);
    expect((await recent.bySkus(['A', 'B'])).map((bins) => bins[0]!.quantity)).toEqual([5, 5]);
    expect((await recent.bySkus(['B', 'C', 'A'])).map((bins) => bins[0]!.sku)).toEqual(['B', 'C', 'A']);
    expect(reads).toEqual([['A', 'B'], ['C']]);
    await new Promise((resolve) => setTimeout(resolve, 250));
    await recent.bySkus(['A']);
    expect(reads.at(-1)).toEqual(['A']);
  });

  it('is read again after any change, and a read that a change overlapped is not kept', async () => {
    let quantity = 1;
    let during: (() => void) | undefined;
    const recent = new RecentStock(async (skus) => {
      const answer = binsOf(skus, quantity);
      during?.(); // a change lands while this read is on its way back
      return answer;
    });
    expect((await recent.bySkus(['A']))[0]![0]!.quantity).toBe(1);
    quantity = 2;
    recent.changed();
    during = () => {
      quantity = 3;
      recent.changed();
    };
    expect((await recent.bySkus(['A']))[0]![0]!.quantity).toBe(2); // as read; not kept
    during = undefined;
    expect((await recent.bySkus(['A']))[0]![0]!.quantity).toBe(3);
  });
});
