import { z } from 'zod';
import { parseEnv } from '../kit/env.ts';

/** `<STAGE>_WORK_MS` (simulated handling time per element) and `<STAGE>_CONCURRENCY`, parsed once. */
export function stageWorkEnv(prefix: string, defaultWorkMs: number, source: NodeJS.ProcessEnv = process.env) {
  const env = parseEnv(
    {
      [`${prefix}_WORK_MS`]: z.coerce.number().int().min(0).max(60_000).default(defaultWorkMs),
      [`${prefix}_CONCURRENCY`]: z.coerce.number().int().min(1).max(1000).default(8),
    },
    source,
  ) as Record<string, number>;
  return { workMs: env[`${prefix}_WORK_MS`]!, concurrency: env[`${prefix}_CONCURRENCY`]! };
}
