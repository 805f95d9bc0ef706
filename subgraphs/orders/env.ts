import { z } from 'zod';
import { parseEnv } from '../../kit/env.ts';

/**
 * The orders worker's settings, parsed once at start-up. ORDERS_CONCURRENCY: elements in flight per
 * queue (coordination steps, charge results), as `<STAGE>_CONCURRENCY` is for the stages.
 */
export function ordersWorkerEnv(source: NodeJS.ProcessEnv = process.env) {
  const env = parseEnv({ ORDERS_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(8) }, source);
  return { concurrency: env.ORDERS_CONCURRENCY };
}
