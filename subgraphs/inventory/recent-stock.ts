import { groupBy } from '../../kit/group.ts';
import type { BinItemDoc } from './store.ts';

/** How long a sku's bins, once read for `Product.stock`, are shown again without reading them. */
export const STOCK_SHOWN_FOR_MS = 1_000;
/** Skus kept at most: past it the next read starts afresh (a catalogue's hot skus are far fewer). */
const MAX_SKUS = 10_000;

/**
 * The bins of recently viewed skus, for `Product.stock`. Every order view and product page asks
 * for the stock of its skus, one database lookup per sku on FerretDB (kit/mongo.ts,
 * findWhereIn), and the same few skus are asked for again and again. Here a sku's bins are read
 * at most once a second. Every change this process makes to a bin (reservations, adjustments,
 * receipts, shipping) drops them all, and a read that overlapped a change is not kept: what
 * this process changed shows at once. A change made by another inventory process (scaled out)
 * shows within the second. Stock is never promised from here: reservations and adjustments
 * read and compare-and-swap the bins themselves, and `Product.binItems` (what the warehouse
 * works from) reads them every time. The orders worker's look at what came in for orders that
 * wait for stock (orders/restocked.ts) may see such a change a second late, as if it had looked
 * a second earlier: a retry still reserves, and a cancellation is past a deadline of days.
 */
export class RecentStock {
  private readonly bins = new Map<string, { items: BinItemDoc[]; readAt: number }>();
  private changes = 0;

  constructor(
    private readonly read: (skus: readonly string[]) => Promise<BinItemDoc[]>,
    private readonly shownForMs = STOCK_SHOWN_FOR_MS,
  ) {}

  /** Each sku's bins, in the order asked. */
  async bySkus(skus: readonly string[]): Promise<BinItemDoc[][]> {
    const readAt = Date.now();
    const answer = new Map<string, BinItemDoc[]>();
    const missing: string[] = [];
    for (const sku of skus) {
      const recent = this.bins.get(sku);
      if (recent && readAt - recent.readAt < this.shownForMs) answer.set(sku, recent.items);
      else missing.push(sku);
    }
    if (missing.length > 0) {
      const changesBefore = this.changes;
      const read = groupBy(await this.read(missing), (item) => item.sku);
      const kept = this.changes === changesBefore; // a change during the read: what it read may be older
      if (kept && this.bins.size + missing.length > MAX_SKUS) this.bins.clear();
      for (const sku of missing) {
        const items = read.get(sku) ?? [];
        answer.set(sku, items);
        if (kept) this.bins.set(sku, { items, readAt });
      }
    }
    return skus.map((sku) => answer.get(sku)!);
  }

  /** A bin changed, or may have (a write that failed part-way): nothing read before is shown again. */
  changed(): void {
    this.changes += 1;
    this.bins.clear();
  }
}
