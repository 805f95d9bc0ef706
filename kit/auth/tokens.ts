import { createHmac } from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, jwtVerify, SignJWT, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { anonymous, isClientRole, isCustomerId, TRACKER_SCOPE, unauthenticated, type Identity } from './identity.ts';

const encoder = new TextEncoder();

/** Internal tokens: what the gateway and services present to subgraphs, signed with the internal secret. */
export const INTERNAL_AUDIENCE = 'fulfilment-internal';
export const INTERNAL_ISSUER = 'fulfilment-internal';
/** Tracking links: one order, read-only, signed with the internal secret by the orders service. */
export const TRACKING_AUDIENCE = 'fulfilment-tracking';

export interface UserTokenSettings {
  /** HS256 secret (development, or an identity provider that shares one). */
  secret?: string;
  /** RS256/ES256 keys of a real identity provider. */
  jwksUrl?: string;
  issuer: string;
  audience: string;
}

/** How far the issuer's clock and ours may disagree: a user token is good until `exp` plus this. */
const CLOCK_TOLERANCE_SECONDS = 5;

/**
 * Verifies the bearer tokens clients send the gateway with jose: only the algorithms the
 * configured keys are for (so `alg: none` and algorithm confusion are refused), signature,
 * `exp`, `nbf`, issuer and audience. Claims: `sub`; `role` (or `roles`, or an OAuth `scope`
 * string) naming customer, support or warehouse; `customerId` for a customer.
 */
export function createUserTokenVerifier(settings: UserTokenSettings) {
  const secret = settings.secret ? encoder.encode(settings.secret) : undefined;
  const jwks: JWTVerifyGetKey | undefined = settings.jwksUrl ? createRemoteJWKSet(new URL(settings.jwksUrl)) : undefined;
  if (!secret && !jwks) throw new Error('user tokens need a secret (AUTH_JWT_SECRET) or a JWKS URL (AUTH_JWKS_URL)');
  // A token without an expiry would be good for ever, wherever it leaked: `exp` is required.
  const options = { issuer: settings.issuer, audience: settings.audience, clockTolerance: CLOCK_TOLERANCE_SECONDS, requiredClaims: ['exp'] };
  return async (token: string): Promise<Identity> => {
    let payload: JWTPayload;
    try {
      const header = jwtHeader(token);
      if (header.alg === 'HS256' && secret) ({ payload } = await jwtVerify(token, secret, { ...options, algorithms: ['HS256'] }));
      else if (jwks) ({ payload } = await jwtVerify(token, jwks, { ...options, algorithms: ['RS256', 'ES256'] }));
      else throw new Error(`algorithm ${header.alg ?? 'none'} is not accepted`);
    } catch (error) {
      throw unauthenticated(`The bearer token is not valid: ${reasonOf(error)}.`);
    }
    // An expiry in ten thousand years is no expiry either.
    if (payload.exp! * 1000 > Date.now() + MAX_USER_TOKEN_LIFETIME_MS) throw unauthenticated('The bearer token is not valid: it expires more than a year from now.');
    return identityFromClaims(payload);
  };
}

/** The furthest ahead a client's token may expire: identity providers issue access tokens for hours. */
export const MAX_USER_TOKEN_LIFETIME_MS = 366 * 24 * 3600 * 1000;

const MAX_SUBJECT_LENGTH = 256;
/** Subjects the gateway gives identities of its own making: a subscription stream's (subscriptions/engine.ts). */
const RESERVED_SUBJECTS = ['subscription', 'anonymous'];
/** Control characters, invisible ones (zero-width, byte order marks) and line or paragraph separators. */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

export function identityFromClaims(payload: JWTPayload): Identity {
  const claimed = [payload.role, ...(Array.isArray(payload.roles) ? payload.roles : []), ...(typeof payload.scope === 'string' ? payload.scope.split(' ') : [])];
  const scopes = [...new Set(claimed.filter(isClientRole))];
  const customerId = typeof payload.customerId === 'string' ? payload.customerId : undefined;
  // The subject keys the caller's rate limit and travels on in internal tokens: one every caller shares
  // (none, blank, or the name signed-out callers go by) would let a caller pass as another or as nobody.
  if (typeof payload.sub !== 'string' || payload.sub.trim() === '') throw unauthenticated('The bearer token must name its subject (sub) as a non-empty string.');
  if (payload.sub === anonymous.subject) throw unauthenticated(`The bearer token's subject (sub) may not be "${anonymous.subject}": that names signed-out callers.`);
  // A subject that is another one with a space around it, or holds control characters, could pass
  // a prefix check below or forge a line where it is logged.
  if (payload.sub !== payload.sub.trim() || UNPRINTABLE.test(payload.sub) || payload.sub.length > MAX_SUBJECT_LENGTH) {
    throw unauthenticated(`The bearer token's subject (sub) must be at most ${MAX_SUBJECT_LENGTH} characters, without spaces around it, control, invisible or line-separating characters.`);
  }
  // Names the gateway and the services give themselves, in any case and any width: one that differs
  // only by case, or by a full-width letter or colon (`service：orders`), reads as the same to a person.
  const lowered = payload.sub.normalize('NFKC').toLowerCase();
  if (RESERVED_SUBJECTS.includes(lowered)) throw unauthenticated(`The bearer token's subject (sub) may not be "${payload.sub}": the gateway uses that name itself.`);
  // The services' own role is in their internal tokens only (identity.ts, clientRoles): refused, not
  // ignored, so that whoever issued such a token learns why it does not work.
  if (claimed.includes('service')) throw unauthenticated("The bearer token names the service role, which only the services' own internal tokens carry: a client's token names customer, support or warehouse.");
  if (scopes.length === 0) throw unauthenticated('The bearer token names no role (customer, support or warehouse).');
  if (scopes.includes('customer') && !customerId) throw unauthenticated('A customer token must carry its customerId.');
  // Ownership is a comparison with the ids the services store (lower-case hex): any other spelling of
  // one, or no id at all, would pass here and then find the customer's own data "not yours" everywhere.
  if (scopes.includes('customer') && !isCustomerId(customerId!)) {
    throw unauthenticated("A customer token's customerId must be a customer's id: 24 lower-case hexadecimal digits.");
  }
  // A customer's rules rest on "only its own", staff's on "everyone's": in one token, each role's
  // fields would open with the other's reach (a customer who is also warehouse staff read every
  // customer's cards and placed orders on them). A person who is both has a token for each.
  if (scopes.includes('customer') && scopes.length > 1) {
    throw unauthenticated("The bearer token names the customer role beside a staff role (support or warehouse): a customer's token names that role alone, and staff who also shop use a customer token of their own.");
  }
  // `service:<name>` names one of our own services, in the internal tokens only they sign: a client's
  // token, whatever its role, may not pass itself off as one (subjects travel on to every subgraph).
  if (lowered.startsWith('service:')) throw unauthenticated('A bearer token may not name one of the services as its subject (service:...).');
  // `tracking:<order>` is the subject of a tracking link's holder (its rate limit and its identity downstream).
  if (lowered.startsWith('tracking:')) throw unauthenticated('A bearer token may not name a tracking link as its subject (tracking:...).');
  return { subject: payload.sub, scopes, customerId, expiresAt: payload.exp ? payload.exp * 1000 : undefined };
}

/** Signs and verifies what travels inside the system: internal identities and tracking links. */
export class InternalTokens {
  private readonly key: Uint8Array;
  private readonly verified = new Map<string, Identity>();

  constructor(secret: string, private readonly ttlSeconds = 120) {
    if (secret.length < 32) throw new Error('the internal secret must be at least 32 characters');
    this.key = encoder.encode(secret);
  }

  /** A 32-byte key for one purpose, derived from the internal secret: the same in every process that shares the secret. */
  derivedKey(purpose: string): Buffer {
    return createHmac('sha256', this.key).update(purpose).digest();
  }

  /** A short-lived token saying who the caller is, for a subgraph to verify. */
  sign(identity: Identity, ttlSeconds = this.ttlSeconds): Promise<string> {
    const claims: JWTPayload = { scopes: [...identity.scopes], customerId: identity.customerId, orderId: identity.orderId };
    const now = Math.floor(Date.now() / 1000);
    let exp = now + ttlSeconds;
    // Never outlive the credential the identity came from, nor its clock tolerance: a token
    // accepted within the tolerance (its `exp` just past) gets those seconds, not an expired
    // internal token that every subgraph would refuse with a raw 401.
    if (identity.expiresAt) exp = Math.min(exp, Math.max(Math.floor(identity.expiresAt / 1000), now + CLOCK_TOLERANCE_SECONDS));
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(identity.subject)
      .setIssuer(INTERNAL_ISSUER)
      .setAudience(INTERNAL_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(this.key);
  }

  /** Verified tokens are remembered until they expire: a subgraph checks each distinct token once. */
  async verify(token: string): Promise<Identity> {
    const known = this.verified.get(token);
    if (known && (known.expiresAt ?? 0) > Date.now()) return known;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'], issuer: INTERNAL_ISSUER, audience: INTERNAL_AUDIENCE, requiredClaims: ['exp'] }));
    } catch (error) {
      throw unauthenticated(`The internal token is not valid: ${reasonOf(error)}.`);
    }
    const identity: Identity = {
      subject: payload.sub ?? 'unknown',
      scopes: Array.isArray(payload.scopes) ? payload.scopes.filter((s): s is string => typeof s === 'string') : [],
      customerId: typeof payload.customerId === 'string' ? payload.customerId : undefined,
      orderId: typeof payload.orderId === 'string' ? payload.orderId : undefined,
      expiresAt: (payload.exp ?? 0) * 1000,
    };
    if (this.verified.size >= 10_000) this.verified.clear();
    this.verified.set(token, identity);
    return identity;
  }

  /** A tracking link's token: follows one order, nothing else, for `ttlSeconds`. */
  signTracking(orderId: string, ttlSeconds = 30 * 24 * 3600): Promise<string> {
    return new SignJWT({ orderId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(`tracking:${orderId}`)
      .setIssuer(INTERNAL_ISSUER)
      .setAudience(TRACKING_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
      .sign(this.key);
  }

  async verifyTracking(token: string): Promise<Identity> {
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'], issuer: INTERNAL_ISSUER, audience: TRACKING_AUDIENCE, requiredClaims: ['exp'] });
      if (typeof payload.orderId !== 'string') throw new Error('no orderId');
      return { subject: payload.sub ?? `tracking:${payload.orderId}`, scopes: [TRACKER_SCOPE], orderId: payload.orderId, expiresAt: (payload.exp ?? 0) * 1000 };
    } catch (error) {
      throw unauthenticated(`The tracking link is not valid: ${reasonOf(error)}.`);
    }
  }
}

/** Whether a token was issued as a tracking link (read without verifying, only to pick the verifier). */
export function isTrackingToken(token: string): boolean {
  try {
    const { aud } = decodeJwt(token);
    return aud === TRACKING_AUDIENCE || (Array.isArray(aud) && aud.includes(TRACKING_AUDIENCE));
  } catch {
    return false;
  }
}

/**
 * A service's own credentials for calling other services: a token for `service:<name>`,
 * signed with the internal secret, re-signed well before it expires.
 */
export function serviceCredentials(service: string, tokens: InternalTokens, ttlSeconds = 300) {
  let current: { token: string; renewAt: number } | undefined;
  let pending: Promise<string> | undefined;
  return {
    service,
    async authorization(): Promise<string> {
      if (current && current.renewAt > Date.now()) return `Bearer ${current.token}`;
      pending ??= tokens.sign({ subject: `service:${service}`, scopes: ['service'] }, ttlSeconds).then((token) => {
        current = { token, renewAt: Date.now() + (ttlSeconds * 1000) / 2 };
        pending = undefined;
        return token;
      });
      return `Bearer ${await pending}`;
    },
  };
}
export type ServiceCredentials = ReturnType<typeof serviceCredentials>;

export function bearerToken(header: string | null | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header?.trim() ?? '');
  return match?.[1];
}

/** What a JWT says of itself before it is verified (which algorithm), or an error that says it is no JWT. */
function jwtHeader(token: string): { alg?: string } {
  const parts = token.split('.');
  let header: unknown;
  try {
    header = parts.length === 3 ? JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) : undefined;
  } catch {
    header = undefined;
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw Object.assign(new Error('it is not a JWT (three base64url parts, the first a JSON header)'), { code: 'NOT_A_JWT' });
  return header as { alg?: string };
}

function reasonOf(error: unknown): string {
  const code = (error as { code?: string }).code;
  if (code === 'NOT_A_JWT') return (error as Error).message;
  if (code === 'ERR_JWS_INVALID' || code === 'ERR_JWT_INVALID') return 'it is not a well-formed JWT';
  if (code === 'ERR_JWT_EXPIRED') return 'it has expired';
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') return (error as Error).message;
  if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') return 'its signature does not verify';
  if (code === 'ERR_JOSE_ALG_NOT_ALLOWED') return 'its algorithm is not accepted';
  return error instanceof Error ? error.message : String(error);
}
