import { z } from 'zod';
import { parseEnv } from '../../kit/env.ts';

/** When fulfilled orders' histories move to the warehouse, and where the warehouse is. */
export function trackingEnv(source: NodeJS.ProcessEnv = process.env) {
  const env = parseEnv(
    {
      ARCHIVE_DELAY_MS: z.coerce.number().int().min(0).default(10 * 60_000),
      ARCHIVE_INTERVAL_MS: z.coerce.number().int().min(100).default(30_000),
      WAREHOUSE_DB_NAME: z.string().min(1).optional(),
    },
    source,
  );
  return { delayMs: env.ARCHIVE_DELAY_MS, intervalMs: env.ARCHIVE_INTERVAL_MS, warehouseDbName: env.WAREHOUSE_DB_NAME };
}
