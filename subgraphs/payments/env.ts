import { z } from 'zod';
import { parseAllowList } from '../../kit/callbacks.ts';
import { parseEnv } from '../../kit/env.ts';

/** The payment-processor simulation and the worker's concurrency, parsed once at start-up. */
export function paymentsEnv(source: NodeJS.ProcessEnv = process.env) {
  const env = parseEnv(
    {
      PAYMENTS_LATENCY_MS: z.coerce.number().int().min(0).max(60_000).default(150),
      PAYMENTS_FAILURE_RATE: z.coerce.number().min(0).max(1).default(0.02),
      PAYMENTS_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(8),
      PAYMENTS_CALLBACK_ALLOWLIST: z
        .string()
        .optional()
        .refine((value) => parseAllowList(value).every((entry) => URL.canParse(entry)), 'comma-separated URL prefixes, e.g. https://shop.example.com/hooks/'),
    },
    source,
  );
  return {
    latencyMs: env.PAYMENTS_LATENCY_MS,
    failureRate: env.PAYMENTS_FAILURE_RATE,
    concurrency: env.PAYMENTS_CONCURRENCY,
    /** Where results may be called back; nothing when unset. */
    callbackAllowList: parseAllowList(env.PAYMENTS_CALLBACK_ALLOWLIST),
  };
}
