import { GraphQLError } from 'graphql';
import { ErrorCode } from '../../kit/errors.ts';
import type { GraphQLClient } from '../../kit/graphql-client.ts';
import type { Logger } from '../../kit/logger.ts';
import { ordersSettledByWorker } from '../../kit/metrics.ts';
import { cancelAndTell } from './cancellations.ts';
import type { OrderDoc, OrderStore } from './store.ts';
import { spoken } from './unpaid.ts';

// An order that found too little stock waits OUT_OF_STOCK, charged, in an exception for a person.
// When stock comes in (a receipt stocked, a warehouse's adjustment), nobody should have to notice
// it: the orders worker looks every so often at what is available of the skus such orders need,
// and retries those it now covers, oldest first, as a person's retry would (a reservation step). The
// reservation is the judge: one that finds the stock gone to another order after all leaves the
// order waiting in its exception; one that is made closes the exception.
//
// Nor should a customer whose money was taken wait for ever for stock that never comes: an order
// shows until when it waits (`waitForStockUntil`, set when it first ran short), and the same pass
// cancels the orders past it that what is available does not cover, as a cancelOrder would. The
// cancellation refunds the charge in full and closes the exception, and tracking and subscribers
// hear the move to CANCELLED. It is written
// with a compare-and-swap that the order is still OUT_OF_STOCK: a reservation made meanwhile wins,
// and one that loses to the cancellation gives its stock back (the coordinator's reserve step).

/** How often a worker looks at the orders waiting for stock (a handful of reads when there are none). */
export const RESTOCK_CHECK_EVERY_MS = 30_000;

/**
 * Orders waiting for stock looked at per pass, the earliest placed. Past it, an order waits until
 * those before it are served or cancelled, even for a sku that came in: in a stock-out of one sku,
 * orders of others must not sit behind its queue, so it is large. FerretDB reads every waiting
 * order to sort them whatever the limit (status is the only filter it serves from an index); a
 * pass holds at most this many, a few MB.
 */
const PASS_LIMIT = 2_000;

const availableQuery = /* GraphQL */ `query Available($representations: [_Any!]!) { _entities(representations: $representations) { ... on Product { sku stock { available } } } }`;

/** What inventory can still promise of each sku (0 for one it holds none of). */
async function availableOf(inventory: GraphQLClient, skus: readonly string[]): Promise<Map<string, number>> {
  const { _entities } = await inventory.request<{ _entities: ({ sku: string; stock: { available: number } | null } | null)[] }>(availableQuery, {
    representations: skus.map((sku) => ({ __typename: 'Product', sku })),
  });
  return new Map(_entities.flatMap((product) => (product ? [[product.sku, Math.max(0, product.stock?.available ?? 0)] as const] : [])));
}

/** The idempotency key of the cancellation of an order that waited too long: one, however often a pass tries it. */
const WAITED_TOO_LONG_KEY = 'out-of-stock-too-long';

/**
 * One pass over the orders waiting for stock (the `PASS_LIMIT` placed earliest, which are also
 * those that ran short earliest): retries those that what is available now covers, then cancels
 * those of the others past their `waitForStockUntil`. An order whose stock came in is retried
 * however late the pass that sees it: the pass runs every 30 s, and stock that came in just
 * before the deadline must not be left on the shelf while its order is refunded. Returns how many
 * of each.
 */
export async function settleOrdersWaitingForStock(
  store: OrderStore,
  inventory: GraphQLClient,
  logger: Logger,
  options: { stockWaitMs: number; now?: Date },
): Promise<{ cancelled: number; retried: number }> {
  const now = options.now ?? new Date();
  const waiting = await store.outOfStock(PASS_LIMIT);
  if (waiting.length === 0) return { cancelled: 0, retried: 0 };
  // Short of stock before `waitForStockUntil` was kept: its time runs from when it first ran short.
  const dated = (await Promise.all(waiting.map((order) => (order.waitForStockUntil ? order : store.giveDeadline(order, 'OUT_OF_STOCK', 'waitForStockUntil', options.stockWaitMs, 'first'))))).filter((order) => order !== null);
  const retried = await retryRestockedOrders(store, inventory, dated, logger);
  const due = dated.filter((order) => order.waitForStockUntil! <= now && !retried.has(order._id.toHexString()));
  const cancelled = await cancelWaitedTooLong(store, due, options.stockWaitMs, logger);
  return { cancelled, retried: retried.size };
}

/** Cancels each order (as its customer would), unless it is no longer OUT_OF_STOCK when the cancellation is written. */
async function cancelWaitedTooLong(store: OrderStore, due: readonly OrderDoc[], stockWaitMs: number, logger: Logger): Promise<number> {
  const reason = `no stock came in within ${spoken(stockWaitMs)}`;
  let cancelled = 0;
  for (const order of due) {
    try {
      const done = await cancelAndTell({ orderId: order._id.toHexString(), reason, idempotencyKey: WAITED_TOO_LONG_KEY }, store, (current) => current.status === 'OUT_OF_STOCK');
      if (done) cancelled++;
    } catch (error) {
      // Cancelled by someone else first, or changing too fast to write: the next pass looks again.
      // Anything else is told, and does not keep the others from their cancellation or their stock.
      if (!(error instanceof GraphQLError && error.extensions.code === ErrorCode.CONFLICT)) logger.warn('could not cancel an order that waited too long for stock', { orderId: order._id.toHexString(), error: String(error) });
    }
  }
  if (cancelled > 0) {
    ordersSettledByWorker.inc({ action: 'cancelled_out_of_stock' }, cancelled);
    logger.info('cancelled orders that waited too long for stock', { orders: cancelled });
  }
  return cancelled;
}

/**
 * Retries the OUT_OF_STOCK orders (`waiting`, oldest placed first) that what is available now
 * covers, each counted against what the ones before it will take. Returns the ids of those it retried.
 */
async function retryRestockedOrders(store: OrderStore, inventory: GraphQLClient, waiting: readonly OrderDoc[], logger: Logger): Promise<Set<string>> {
  const retried = new Set<string>();
  if (waiting.length === 0) return retried;
  const left = await availableOf(inventory, [...new Set(waiting.flatMap((order) => order.lines.map((line) => line.sku)))]);
  for (const order of waiting) {
    if (!order.lines.every((line) => (left.get(line.sku) ?? 0) >= line.quantity)) continue;
    for (const line of order.lines) left.set(line.sku, left.get(line.sku)! - line.quantity);
    const orderId = order._id.toHexString();
    // A step of its own, not the one a person's retry makes (`reserve:`): one that found the stock
    // gone raises no new exception, which is right only while the order's is still open. Its id
    // names the order's version, so once one has found the stock gone (and noted so on the order),
    // the next stock that comes in makes another.
    await store.coordination.enqueue(`restock:${orderId}:${order.version}`, { kind: 'reserve', orderId, restocked: { closesException: order.openException ?? null } });
    retried.add(orderId);
  }
  if (retried.size > 0) {
    ordersSettledByWorker.inc({ action: 'restock_retried' }, retried.size);
    logger.info('retried orders waiting for stock that came in', { retried: retried.size });
  }
  return retried;
}
