import { z } from 'zod';
import { parseEnv } from '../../kit/env.ts';

/** When fulfilled orders' histories move to the warehouse, where the warehouse is, and how often to look for other processes' events. */
export function trackingEnv(source: NodeJS.ProcessEnv = process.env) {
  const env = parseEnv(
    {
      ARCHIVE_DELAY_MS: z.coerce.number().int().min(0).default(10 * 60_000),
      ARCHIVE_INTERVAL_MS: z.coerce.number().int().min(100).default(30_000),
      WAREHOUSE_DB_NAME: z.string().min(1).optional(),
      EVENT_POLL_INTERVAL_MS: z.coerce.number().int().min(5).default(50),
      EVENT_RETENTION: z.coerce.number().int().min(1_000).default(1_000_000),
    },
    source,
  );
  return {
    delayMs: env.ARCHIVE_DELAY_MS,
    intervalMs: env.ARCHIVE_INTERVAL_MS,
    warehouseDbName: env.WAREHOUSE_DB_NAME,
    eventPollIntervalMs: env.EVENT_POLL_INTERVAL_MS,
    eventRetention: env.EVENT_RETENTION,
  };
}
