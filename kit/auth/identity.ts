import { clientError, ErrorCode } from '../errors.ts';

/** What a caller may be. Roles are also the scopes `@requiresScopes` names in the schemas. */
export const roles = ['customer', 'support', 'warehouse', 'service'] as const;
export type Role = (typeof roles)[number];
/**
 * The roles a client's token may name. `service` is our services' own, carried in the internal
 * tokens they sign for one another: a client holding it would have support's and the warehouse's
 * powers together, which no person is given.
 */
export const clientRoles = ['customer', 'support', 'warehouse'] as const satisfies readonly Role[];
export type ClientRole = (typeof clientRoles)[number];
export const isClientRole = (value: unknown): value is ClientRole => (clientRoles as readonly unknown[]).includes(value);
/** Whether `value` is a customer's id as the services store and compare it (lower-case hex): what a customer token's `customerId` must be. */
export const isCustomerId = (value: string): boolean => /^[0-9a-f]{24}$/.test(value);

/** The scope of a tracking link's bearer: one order, read-only. */
export const TRACKER_SCOPE = 'tracker';

/**
 * Who is calling, as every service sees it. Anonymous callers have no scopes; a customer
 * carries its customerId; a tracking link's bearer its orderId; a service its name (subject
 * `service:<name>`).
 */
export interface Identity {
  subject: string;
  scopes: readonly string[];
  customerId?: string;
  orderId?: string;
  /** Epoch milliseconds after which the credential that proved this identity is no longer valid. */
  expiresAt?: number;
}

export const anonymous: Identity = Object.freeze({ subject: 'anonymous', scopes: Object.freeze([]) as readonly string[] });

export const isAuthenticated = (identity: Identity) => identity.subject !== anonymous.subject;
export const hasScope = (identity: Identity, scope: string) => identity.scopes.includes(scope);
export const serviceIdentity = (service: string): Identity => ({ subject: `service:${service}`, scopes: ['service'] });
/** Whether the caller is this one of our services, by the internal token only it is given (a client's token may not name one). */
export const isServiceNamed = (identity: Identity, service: string) => hasScope(identity, 'service') && identity.subject === `service:${service}`;

/** Staff and services see every customer's data; customers and tracking links only their own. */
export const isStaff = (identity: Identity) => ['support', 'warehouse', 'service'].some((scope) => hasScope(identity, scope));

/** The same identity for authorization purposes: callers with equal keys may share results. */
export function authorizationKey(identity: Identity): string {
  return [[...identity.scopes].sort().join(' '), identity.customerId ?? '', identity.orderId ?? ''].join('|');
}

export const unauthenticated = (message = 'Sign in: this needs a valid Authorization: Bearer token.') =>
  clientError(ErrorCode.UNAUTHENTICATED, message, { http: { status: 401 } });

export const forbidden = (message: string) => clientError(ErrorCode.FORBIDDEN, message);
