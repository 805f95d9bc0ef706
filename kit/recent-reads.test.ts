import { describe, expect, it } from 'vitest';
import { RecentReads } from './recent-reads.ts';

// The stock of the skus asked for, as the database would answer: `quantity` of each.
const stockOf = (skus: readonly string[], quantity: number) => new Map(skus.map((sku) => [sku, { sku, quantity }]));
const none = { sku: '', quantity: 0 };

describe('recent reads (the stock product and order views show)', () => {
  it('is read once for views within a second, and again after one', async () => {
    const reads: string[][] = [];
    const recent = new RecentReads(async (skus) => (reads.push([...skus]), stockOf(skus, 5)), none, 200);
    expect((await recent.get(['A', 'B'])).map((stock) => stock.quantity)).toEqual([5, 5]);
    expect((await recent.get(['B', 'C', 'A'])).map((stock) => stock.sku)).toEqual(['B', 'C', 'A']);
    expect(reads).toEqual([['A', 'B'], ['C']]);
    await new Promise((resolve) => setTimeout(resolve, 250));
    await recent.get(['A']);
    expect(reads.at(-1)).toEqual(['A']);
  });

  it('is read again after any change, and a read that a change overlapped is not kept', async () => {
    let quantity = 1;
    let during: (() => void) | undefined;
    const recent = new RecentReads(async (skus) => {
      const answer = stockOf(skus, quantity);
      during?.(); // a change lands while this read is on its way back
      return answer;
    }, none, 1_000);
    expect((await recent.get(['A']))[0]!.quantity).toBe(1);
    quantity = 2;
    recent.changed();
    during = () => {
      quantity = 3;
      recent.changed();
    };
    expect((await recent.get(['A']))[0]!.quantity).toBe(2); // as read; not kept
    during = undefined;
    expect((await recent.get(['A']))[0]!.quantity).toBe(3);
  });
});
