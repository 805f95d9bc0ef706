import { forbidden, hasScope, isServiceNamed, isStaff, unauthenticated, type Identity } from './identity.ts';

/** The caller, as the subgraph's door verified it (see subgraph-auth.ts). */
export function identityOf(context: unknown): Identity {
  const identity = (context as { identity?: Identity }).identity;
  if (!identity) throw unauthenticated();
  return identity;
}

/** What a piece of data belongs to: a customer, and for an order's data, the order. */
export interface Owner {
  customerId: string;
  orderId?: string;
}

/** Staff and services see everything; a customer its own data; a tracking link its own order. */
export function mayAccess(identity: Identity, owner: Owner): boolean {
  if (isStaff(identity)) return true;
  if (hasScope(identity, 'customer') && identity.customerId === owner.customerId) return true;
  return owner.orderId !== undefined && identity.orderId === owner.orderId;
}

/** Throws FORBIDDEN unless the caller may see or change this owner's data. */
export function assertMayAccess(context: unknown, owner: Owner, what: string): void {
  if (!mayAccess(identityOf(context), owner)) throw forbidden(`You may not access ${what}: it is not yours.`);
}

/**
 * Throws FORBIDDEN unless the caller is one of `services` (by name, not only by the service role):
 * for what only that service may ask of another, such as delivering the results it alone makes.
 */
export function assertCalledBy(context: unknown, services: readonly string[], what: string): void {
  const identity = identityOf(context);
  if (!services.some((service) => isServiceNamed(identity, service))) throw forbidden(`Only the ${services.join(' or ')} service may ${what}.`);
}

/** The customer id a request may act for: its own for a customer; any for staff and services. */
export function customerScope(context: unknown, requested: string | null | undefined): string | undefined {
  const identity = identityOf(context);
  if (isStaff(identity)) return requested ?? undefined;
  if (!hasScope(identity, 'customer') || !identity.customerId) throw forbidden('Only customers, support and services may do this.');
  if (requested && requested !== identity.customerId) throw forbidden('You may act only for your own customer record.');
  return identity.customerId;
}
