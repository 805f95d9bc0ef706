import { z } from 'zod';
import { parseEnv } from '../../kit/env.ts';
import type { AggregationRules } from './aggregator.ts';

/** PICKING_BATCH_SIZE and PICKING_MAX_WAIT_MS: when a group of shipments becomes a picklist. */
export function pickingRules(source: NodeJS.ProcessEnv = process.env): AggregationRules {
  const env = parseEnv(
    {
      PICKING_BATCH_SIZE: z.coerce.number().int().min(1).max(500).default(5),
      PICKING_MAX_WAIT_MS: z.coerce.number().int().min(0).max(3_600_000).default(2_000),
    },
    source,
  );
  return { batchSize: env.PICKING_BATCH_SIZE, maxWaitMs: env.PICKING_MAX_WAIT_MS };
}
