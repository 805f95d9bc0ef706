import { z } from 'zod';
import { isLogLevel, type LogLevel } from '../kit/logger.ts';
import { internalSecretVar, metricsListenerVars, parsedVar, parseEnv, portVar } from '../kit/env.ts';
import { subgraphEndpoints } from './subgraphs.ts';
import { defaultLimits, type GatewayLimits } from './limits.ts';
import { TrustedProxies } from './client-address.ts';
import { parseCorsOrigins } from './cors.ts';
import { defaultCachedSubgraphs } from './read-mostly-cache.ts';
import { defaultHeapGrowthPercent } from './heap.ts';

const limit = (fallback: number) => z.coerce.number().int().min(1).default(fallback);

/** The gateway's configuration, parsed once at start-up. */
export function gatewayConfig(given: NodeJS.ProcessEnv = process.env) {
  // An empty variable is an unset one (docker compose passes `${AUTH_JWKS_URL:-}` as "").
  const source = Object.fromEntries(Object.entries(given).filter(([name, value]) => value !== '' || name === 'GATEWAY_CACHED_SUBGRAPHS'));
  const env = parseEnv(
    {
      GATEWAY_PORT: portVar(4000),
      // Where /metrics is served (not on GATEWAY_PORT, which clients reach).
      ...metricsListenerVars,
      HOST: z.string().default('0.0.0.0'),
      NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
      LOG_LEVEL: z.string().refine(isLogLevel, 'one of debug, info, warn, error, silent').default('info'),
      SUPERGRAPH_PATH: z.string().optional(),
      GATEWAY_MAX_SUBSCRIPTIONS_PER_CONNECTION: z.coerce.number().int().min(1).default(100),
      INTERNAL_AUTH_SECRET: internalSecretVar(),
      AUTH_JWT_SECRET: z.string().min(32, 'at least 32 characters').optional(),
      AUTH_JWKS_URL: z.string().url().optional(),
      AUTH_ISSUER: z.string().default('fulfilment-dev'),
      AUTH_AUDIENCE: z.string().default('fulfilment-graph'),
      GRAPHIQL_TOKEN: z.string().optional(),
      GATEWAY_MAX_BODY_BYTES: limit(defaultLimits.maxBodyBytes),
      GATEWAY_MAX_DEPTH: limit(defaultLimits.maxDepth),
      GATEWAY_MAX_ALIASES: limit(defaultLimits.maxAliases),
      GATEWAY_MAX_TOKENS: limit(defaultLimits.maxTokens),
      GATEWAY_MAX_DIRECTIVES: limit(defaultLimits.maxDirectives),
      GATEWAY_MAX_NAME_LENGTH: limit(defaultLimits.maxNameLength),
      GATEWAY_MAX_COST: limit(defaultLimits.maxCost),
      GATEWAY_RATE_LIMIT_PER_MINUTE: limit(defaultLimits.ratePerMinute),
      GATEWAY_REQUEST_TIMEOUT_MS: limit(defaultLimits.timeoutMs),
      GATEWAY_SUBGRAPH_TIMEOUT_MS: limit(defaultLimits.subgraphTimeoutMs),
      GATEWAY_SUBSCRIPTION_EVENT_TIMEOUT_MS: limit(defaultLimits.subscriptionEventTimeoutMs),
      GATEWAY_MAX_SUBSCRIPTIONS_PER_CALLER: limit(defaultLimits.maxSubscriptionsPerCaller),
      GATEWAY_MAX_CONNECTIONS_PER_ADDRESS: limit(defaultLimits.maxConnectionsPerAddress),
      GATEWAY_TRUSTED_DOCUMENTS: z.string().optional(),
      // Whether clients may ask for the schema; unset: in development only.
      GATEWAY_INTROSPECTION: z.enum(['on', 'off']).optional(),
      GATEWAY_TRUSTED_PROXIES: parsedVar((value) => (value ? TrustedProxies.parse(value) : undefined)),
      // Web pages (origins) allowed to read the gateway's answers from a browser; none by default (gateway/cors.ts).
      GATEWAY_CORS_ORIGINS: parsedVar(parseCorsOrigins),
      // Read-mostly subgraphs whose answers the gateway caches (emptied by their own mutations); "" for none.
      GATEWAY_CACHED_SUBGRAPHS: z.string().default(defaultCachedSubgraphs.subgraphs.join(',')),
      GATEWAY_CACHE_TTL_MS: limit(defaultCachedSubgraphs.ttlMs),
      GATEWAY_CACHE_MAX_BYTES: limit(defaultCachedSubgraphs.maxBytes),
      // 0: V8's own heap growth (see gateway/heap.ts).
      GATEWAY_HEAP_GROWTH_PERCENT: z.coerce.number().int().min(0).max(300).default(defaultHeapGrowthPercent),
    },
    source,
  );
  if (!env.AUTH_JWT_SECRET && !env.AUTH_JWKS_URL) {
    throw new Error('Invalid configuration:\n  AUTH_JWKS_URL or AUTH_JWT_SECRET: required (where client tokens are verified; npm start generates a development secret)');
  }
  const limits: GatewayLimits = {
    maxBodyBytes: env.GATEWAY_MAX_BODY_BYTES,
    maxDepth: env.GATEWAY_MAX_DEPTH,
    maxAliases: env.GATEWAY_MAX_ALIASES,
    maxTokens: env.GATEWAY_MAX_TOKENS,
    maxDirectives: env.GATEWAY_MAX_DIRECTIVES,
    maxNameLength: env.GATEWAY_MAX_NAME_LENGTH,
    maxCost: env.GATEWAY_MAX_COST,
    ratePerMinute: env.GATEWAY_RATE_LIMIT_PER_MINUTE,
    timeoutMs: env.GATEWAY_REQUEST_TIMEOUT_MS,
    subgraphTimeoutMs: env.GATEWAY_SUBGRAPH_TIMEOUT_MS,
    subscriptionEventTimeoutMs: env.GATEWAY_SUBSCRIPTION_EVENT_TIMEOUT_MS,
    maxSubscriptionsPerCaller: env.GATEWAY_MAX_SUBSCRIPTIONS_PER_CALLER,
    maxConnectionsPerAddress: env.GATEWAY_MAX_CONNECTIONS_PER_ADDRESS,
    trustedDocumentsPath: env.GATEWAY_TRUSTED_DOCUMENTS,
    trustedProxies: env.GATEWAY_TRUSTED_PROXIES,
  };
  return {
    port: env.GATEWAY_PORT,
    metricsPort: env.METRICS_PORT,
    metricsHost: env.METRICS_HOST,
    host: env.HOST,
    isDev: env.NODE_ENV !== 'production',
    introspection: env.GATEWAY_INTROSPECTION === undefined ? env.NODE_ENV !== 'production' : env.GATEWAY_INTROSPECTION === 'on',
    logLevel: env.LOG_LEVEL as LogLevel,
    supergraphPath: env.SUPERGRAPH_PATH,
    maxSubscriptionsPerConnection: env.GATEWAY_MAX_SUBSCRIPTIONS_PER_CONNECTION,
    endpoints: subgraphEndpoints(source),
    internalSecret: env.INTERNAL_AUTH_SECRET,
    userTokens: { secret: env.AUTH_JWT_SECRET, jwksUrl: env.AUTH_JWKS_URL, issuer: env.AUTH_ISSUER, audience: env.AUTH_AUDIENCE },
    graphiqlToken: env.GRAPHIQL_TOKEN,
    corsOrigins: env.GATEWAY_CORS_ORIGINS,
    heapGrowthPercent: env.GATEWAY_HEAP_GROWTH_PERCENT,
    limits,
    cache: {
      subgraphs: env.GATEWAY_CACHED_SUBGRAPHS.split(',').map((name) => name.trim()).filter(Boolean),
      ttlMs: env.GATEWAY_CACHE_TTL_MS,
      maxBytes: env.GATEWAY_CACHE_MAX_BYTES,
      maxEntryBytes: Math.min(defaultCachedSubgraphs.maxEntryBytes, env.GATEWAY_CACHE_MAX_BYTES),
    },
  };
}
