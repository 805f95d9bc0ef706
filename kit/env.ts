import { z } from 'zod';
import { isLogLevel, type LogLevel } from './logger.ts';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses configuration once, at start-up, and says exactly what is missing or wrong. */
export function parseEnv<S extends z.ZodRawShape>(
  shape: S,
  source: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodObject<S>> {
  const result = z.object(shape).safeParse(source);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
  throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
}

export const portVar = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

/**
 * Where a worker's /health, /ready and /metrics, and the gateway's /metrics, listen: any free port,
 * on loopback only unless METRICS_HOST says otherwise (docker compose, where Prometheus scrapes
 * from another container): operators read metrics, clients never need to. Empty is unset (an
 * empty host would be every interface).
 */
export const metricsListenerVars = { METRICS_PORT: portVar(0), METRICS_HOST: z.preprocess((value) => (value === '' ? undefined : value), z.string().default('127.0.0.1')) };
export const urlVar = () => z.string().url();
/** A variable read by `parse` (given undefined when unset), whose error message becomes the configuration error's. */
export const parsedVar = <T>(parse: (value: string | undefined) => T) =>
  z
    .string()
    .optional()
    .transform((value, context) => {
      try {
        return parse(value);
      } catch (error) {
        context.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    });

export interface ServiceConfig {
  name: string;
  port: number;
  host: string;
  mongoUri: string;
  dbName: string;
  isDev: boolean;
  logLevel: LogLevel;
  seedDemoData: boolean;
  /** Signs and verifies the tokens services present to one another (shared by the gateway and every service). */
  internalSecret: string;
}

/** INTERNAL_AUTH_SECRET: required everywhere; nothing inside the system answers without it. */
export const internalSecretVar = () =>
  z.string({ required_error: 'required (at least 32 characters; npm start generates one into .data/)' }).min(32, 'at least 32 characters');

/**
 * Settings every service shares. Each service has its own database:
 * `<NAME>_MONGODB_URI` (else `MONGODB_URI`) and `<NAME>_DB_NAME` (else its name).
 */
export function serviceConfig(name: string, defaultPort: number, source: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const prefix = name.toUpperCase();
  const mongoUri = source[`${prefix}_MONGODB_URI`] ?? source.MONGODB_URI;
  if (!mongoUri) {
    throw new ConfigError(
      `Invalid configuration:\n  ${prefix}_MONGODB_URI or MONGODB_URI: required (the ${name} service's database)`,
    );
  }
  const env = parseEnv(
    {
      PORT: portVar(defaultPort),
      HOST: z.string().default('0.0.0.0'),
      NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
      LOG_LEVEL: z.string().refine(isLogLevel, 'one of debug, info, warn, error, silent').default('info'),
      SEED_DEMO_DATA: z.enum(['true', 'false']).default('false'),
      INTERNAL_AUTH_SECRET: internalSecretVar(),
    },
    source,
  );
  return {
    name,
    port: env.PORT,
    host: env.HOST,
    mongoUri,
    dbName: source[`${prefix}_DB_NAME`] ?? name,
    isDev: env.NODE_ENV !== 'production',
    logLevel: env.LOG_LEVEL as LogLevel,
    seedDemoData: env.SEED_DEMO_DATA === 'true',
    internalSecret: env.INTERNAL_AUTH_SECRET,
  };
}
