import { z } from 'zod';
import { parsedVar, parseEnv } from '../../kit/env.ts';
import { parseShippingCountries } from '../../pipeline/postal-address.ts';

/** How long a customer has to pay a declined order again, by default (unpaid.ts). */
export const DEFAULT_PAY_WITHIN_MS = 72 * 3_600_000;

/** How long an order charged and short of stock waits for stock, by default, before it is cancelled and refunded (restocked.ts). */
export const DEFAULT_STOCK_WAIT_MS = 14 * 24 * 3_600_000;

const MAX_WAIT_MS = 365 * 24 * 3_600_000;

/**
 * The orders worker's settings, parsed once at start-up. ORDERS_CONCURRENCY: elements in flight per
 * queue (coordination steps, charge results), as `<STAGE>_CONCURRENCY` is for the stages.
 * DECLINED_ORDER_PAY_WITHIN_MS: how long after a decline an order waits to be paid again before it is
 * cancelled (unpaid.ts); a second at least, a year at most. OUT_OF_STOCK_WAIT_MS: how long an order
 * short of stock waits for it to come in before it is cancelled and its charge refunded (restocked.ts);
 * the same bounds.
 */
export function ordersWorkerEnv(source: NodeJS.ProcessEnv = process.env) {
  const env = parseEnv(
    {
      ORDERS_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(8),
      DECLINED_ORDER_PAY_WITHIN_MS: z.coerce.number().int().min(1_000).max(MAX_WAIT_MS).default(DEFAULT_PAY_WITHIN_MS),
      OUT_OF_STOCK_WAIT_MS: z.coerce.number().int().min(1_000).max(MAX_WAIT_MS).default(DEFAULT_STOCK_WAIT_MS),
    },
    source,
  );
  return { concurrency: env.ORDERS_CONCURRENCY, payWithinMs: env.DECLINED_ORDER_PAY_WITHIN_MS, stockWaitMs: env.OUT_OF_STOCK_WAIT_MS };
}

/**
 * The orders service's own settings. SHIPPING_COUNTRIES: the countries orders ship to, as ISO
 * codes separated by commas (GB,DE,FR); unset, every country. An order to another, or a change of
 * address to one, is refused with BAD_USER_INPUT and writes nothing.
 */
export function ordersEnv(source: NodeJS.ProcessEnv = process.env) {
  const env = parseEnv({ SHIPPING_COUNTRIES: parsedVar(parseShippingCountries) }, source);
  return { shippingCountries: env.SHIPPING_COUNTRIES };
}
