// The development identity provider of `npm start`: secrets generated once into the data
// folder, and tokens signed with them. Production points the gateway at a real identity
// provider instead (AUTH_JWKS_URL, AUTH_ISSUER, AUTH_AUDIENCE) and sets INTERNAL_AUTH_SECRET.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SignJWT } from 'jose';
import { isClientRole, isCustomerId, type ClientRole } from '../kit/auth/identity.ts';
import { MAX_USER_TOKEN_LIFETIME_MS } from '../kit/auth/tokens.ts';
import { projectRoot } from './ferretdb.ts';

export const DEV_ISSUER = 'fulfilment-dev';
export const DEV_AUDIENCE = 'fulfilment-graph';

export interface DevSecrets {
  /** Signs client tokens (AUTH_JWT_SECRET). */
  users: string;
  /** Signs what services present to one another (INTERNAL_AUTH_SECRET). */
  internal: string;
}

/** `.data/dev-secrets.json` (or beside FERRETDB_DATA_DIR's database, or DEV_SECRETS_PATH). */
export function devSecretsPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DEV_SECRETS_PATH) return env.DEV_SECRETS_PATH;
  if (env.FERRETDB_DATA_DIR) return join(env.FERRETDB_DATA_DIR, 'dev-secrets.json');
  return join(projectRoot, '.data', 'dev-secrets.json');
}

/** Reads the secrets, generating them (readable by their owner only) the first time. */
export function ensureDevSecrets(path = devSecretsPath()): DevSecrets {
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as DevSecrets;
  const secrets: DevSecrets = { users: randomBytes(32).toString('base64url'), internal: randomBytes(32).toString('base64url') };
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

export function readDevSecrets(path = devSecretsPath()): DevSecrets {
  if (!existsSync(path)) throw new Error(`no development secrets at ${path}: run npm start once first (it generates them)`);
  return JSON.parse(readFileSync(path, 'utf8')) as DevSecrets;
}

/** What client tokens are signed with, and the `iss` and `aud` they carry. */
export interface ClientSigning {
  secret: string;
  issuer: string;
  audience: string;
}

/**
 * How a development gateway checks client tokens, and so how they must be signed: the
 * environment's `AUTH_JWT_SECRET`, `AUTH_ISSUER` and `AUTH_AUDIENCE` where set (exported for
 * docker compose, or given to npm start), else the generated secret (`users`, read only when
 * needed) and the development issuer and audience. Empty counts as unset, as in gateway/env.ts.
 */
export function clientSigning(env: NodeJS.ProcessEnv, users: () => string): ClientSigning {
  return { secret: env.AUTH_JWT_SECRET || users(), issuer: env.AUTH_ISSUER || DEV_ISSUER, audience: env.AUTH_AUDIENCE || DEV_AUDIENCE };
}

export async function devToken(signing: ClientSigning, options: { role: ClientRole; customerId?: string; subject?: string; ttlSeconds?: number }): Promise<string> {
  if (!isClientRole(options.role)) throw new Error(`--role must be customer, support or warehouse, not ${String(options.role)} (the services sign their own tokens)`);
  if (options.role === 'customer' && !options.customerId) throw new Error('a customer token needs --customer <id>');
  // The gateway refuses any other: ownership compares it with the ids the services store.
  if (options.customerId !== undefined && !isCustomerId(options.customerId)) throw new Error(`--customer must be a customer's id (24 lower-case hexadecimal digits), not ${JSON.stringify(options.customerId)}`);
  // A staff token carrying a customer's id would also take that customer's subject, and with it her rate limit.
  if (options.role !== 'customer' && options.customerId) throw new Error(`--customer is for a customer's token only, not a ${options.role}'s`);
  if ((options.ttlSeconds ?? 0) * 1000 > MAX_USER_TOKEN_LIFETIME_MS) throw new Error('--ttl: the gateway refuses a token that expires more than a year ahead');
  return new SignJWT({ role: options.role, ...(options.customerId ? { customerId: options.customerId } : {}) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.subject ?? (options.customerId ? `customer:${options.customerId}` : `dev-${options.role}`))
    .setIssuer(signing.issuer)
    .setAudience(signing.audience)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + (options.ttlSeconds ?? 12 * 3600))
    .sign(new TextEncoder().encode(signing.secret));
}
