import { z } from 'zod';
import { ConfigError, parseEnv, urlVar } from '../../kit/env.ts';
import type { RegionCode } from './store.ts';

export type CustomersEnv =
  | { role: 'home'; region: RegionCode }
  | { role: 'replica'; region: RegionCode; homeUrl: string; pollIntervalMs: number; writeWaitMs: number };

/**
 * Which copy of the customer domain this process serves: the home copy (default), or a
 * regional replica that follows the home copy at CUSTOMERS_HOME_URL and keeps its own
 * database (CUSTOMERS_DB_NAME, required, so it never shares the home copy's).
 */
export function customersEnv(source: NodeJS.ProcessEnv = process.env): CustomersEnv {
  const env = parseEnv(
    {
      CUSTOMERS_ROLE: z.enum(['home', 'replica']).default('home'),
      CUSTOMERS_REGION: z.enum(['US', 'UK', 'DE']).optional(),
      CUSTOMERS_HOME_URL: urlVar().optional(),
      CUSTOMERS_REPLICATION_POLL_MS: z.coerce.number().int().min(5).max(60_000).default(200),
      CUSTOMERS_WRITE_WAIT_MS: z.coerce.number().int().min(0).max(30_000).default(2_000),
    },
    source,
  );
  if (env.CUSTOMERS_ROLE === 'home') return { role: 'home', region: env.CUSTOMERS_REGION ?? 'US' };
  const missing = [
    !env.CUSTOMERS_REGION && '  CUSTOMERS_REGION: required for a replica (UK or DE: the region it serves)',
    !env.CUSTOMERS_HOME_URL && "  CUSTOMERS_HOME_URL: required for a replica (the home copy's /graphql, e.g. http://localhost:4001/graphql)",
    !source.CUSTOMERS_DB_NAME && '  CUSTOMERS_DB_NAME: required for a replica (its own database, e.g. customers_uk)',
  ].filter(Boolean);
  if (missing.length) throw new ConfigError(`Invalid configuration:\n${missing.join('\n')}`);
  return {
    role: 'replica',
    region: env.CUSTOMERS_REGION!,
    homeUrl: env.CUSTOMERS_HOME_URL!,
    pollIntervalMs: env.CUSTOMERS_REPLICATION_POLL_MS,
    writeWaitMs: env.CUSTOMERS_WRITE_WAIT_MS,
  };
}
