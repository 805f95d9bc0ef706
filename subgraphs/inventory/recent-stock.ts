import { groupBy } from '../../kit/group.ts';
import { RecentReads } from '../../kit/recent-reads.ts';
import type { BinItemDoc } from './store.ts';

/** How long a sku's bins, once read for `Product.stock`, are shown again without reading them. */
export const STOCK_SHOWN_FOR_MS = 1_000;

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
export function recentStock(read: (skus: readonly string[]) => Promise<BinItemDoc[]>, shownForMs = STOCK_SHOWN_FOR_MS): RecentReads<BinItemDoc[]> {
  return new RecentReads(async (skus) => groupBy(await read(skus), (item) => item.sku), [], shownForMs);
}
