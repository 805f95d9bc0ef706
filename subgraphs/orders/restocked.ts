import type { GraphQLClient } from '../../kit/graphql-client.ts';
import type { Logger } from '../../kit/logger.ts';
import { ordersSettledByWorker } from '../../kit/metrics.ts';
import type { OrderStore } from './store.ts';

// An order that found too little stock waits OUT_OF_STOCK, charged, in an exception for a person.
// When stock comes in (a receipt stocked, a warehouse's adjustment), nobody should have to notice
// it: the orders worker looks every so often at what is available of the skus such orders need,
// and retries those it now covers, oldest first, as a person's retry would (a reservation step). The
// reservation is the judge: one that finds the stock gone to another order after all leaves the
// order waiting in its exception; one that is made closes the exception.

/** How often a worker looks at the orders waiting for stock (a handful of reads when there are none). */
export const RESTOCK_CHECK_EVERY_MS = 30_000;

/** Orders waiting for stock looked at per pass; more wait for the next. */
const PASS_LIMIT = 200;

const availableQuery = /* GraphQL */ `query Available($representations: [_Any!]!) { _entities(representations: $representations) { ... on Product { sku stock { available } } } }`;

/** What inventory can still promise of each sku (0 for one it holds none of). */
async function availableOf(inventory: GraphQLClient, skus: readonly string[]): Promise<Map<string, number>> {
  const { _entities } = await inventory.request<{ _entities: ({ sku: string; stock: { available: number } | null } | null)[] }>(availableQuery, {
    representations: skus.map((sku) => ({ __typename: 'Product', sku })),
  });
  return new Map(_entities.flatMap((product) => (product ? [[product.sku, Math.max(0, product.stock?.available ?? 0)] as const] : [])));
}

/**
 * Retries the OUT_OF_STOCK orders that what is available now covers, oldest placed first, each
 * counted against what the ones before it will take. Returns how many it retried.
 */
export async function retryRestockedOrders(store: OrderStore, inventory: GraphQLClient, logger: Logger): Promise<number> {
  const waiting = await store.outOfStock(PASS_LIMIT);
  if (waiting.length === 0) return 0;
  const left = await availableOf(inventory, [...new Set(waiting.flatMap((order) => order.lines.map((line) => line.sku)))]);
  let retried = 0;
  for (const order of waiting) {
    if (!order.lines.every((line) => (left.get(line.sku) ?? 0) >= line.quantity)) continue;
    for (const line of order.lines) left.set(line.sku, left.get(line.sku)! - line.quantity);
    const orderId = order._id.toHexString();
    // A step of its own, not the one a person's retry makes (`reserve:`): one that found the stock
    // gone raises no new exception, which is right only while the order's is still open. Its id
    // names the order's version, so once one has found the stock gone (and noted so on the order),
    // the next stock that comes in makes another.
    await store.coordination.enqueue(`restock:${orderId}:${order.version}`, { kind: 'reserve', orderId, restocked: { closesException: order.openException ?? null } });
    retried++;
  }
  if (retried > 0) {
    ordersSettledByWorker.inc({ action: 'restock_retried' }, retried);
    logger.info('retried orders waiting for stock that came in', { retried });
  }
  return retried;
}
