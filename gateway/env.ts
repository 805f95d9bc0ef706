import { z } from 'zod';
import { isLogLevel, type LogLevel } from '../kit/logger.ts';
import { parseEnv, portVar } from '../kit/env.ts';
import { subgraphEndpoints } from './subgraphs.ts';

/** The gateway's configuration, parsed once at start-up. */
export function gatewayConfig(source: NodeJS.ProcessEnv = process.env) {
  const env = parseEnv(
    {
      GATEWAY_PORT: portVar(4000),
      HOST: z.string().default('0.0.0.0'),
      NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
      LOG_LEVEL: z.string().refine(isLogLevel, 'one of debug, info, warn, error, silent').default('info'),
      SUPERGRAPH_PATH: z.string().optional(),
      GATEWAY_SUBSCRIPTION_TOKEN: z.string().min(16, 'at least 16 characters').optional(),
      GATEWAY_MAX_SUBSCRIPTIONS_PER_CONNECTION: z.coerce.number().int().min(1).default(100),
    },
    source,
  );
  return {
    port: env.GATEWAY_PORT,
    host: env.HOST,
    isDev: env.NODE_ENV !== 'production',
    logLevel: env.LOG_LEVEL as LogLevel,
    supergraphPath: env.SUPERGRAPH_PATH,
    subscriptionToken: env.GATEWAY_SUBSCRIPTION_TOKEN,
    maxSubscriptionsPerConnection: env.GATEWAY_MAX_SUBSCRIPTIONS_PER_CONNECTION,
    endpoints: subgraphEndpoints(source),
  };
}
