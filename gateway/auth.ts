import { anonymous, authorizationKey, unauthenticated, type Identity } from '../kit/auth/identity.ts';
import { bearerToken, createUserTokenVerifier, isTrackingToken, type InternalTokens, type UserTokenSettings } from '../kit/auth/tokens.ts';

/**
 * Who a client is, from its Authorization header (or `connection_init` payload): no token is
 * anonymous; a tracking link's token follows one order; anything else must be a token of the
 * configured identity provider. Verified tokens are remembered until they expire, and the
 * internal token sent on to subgraphs is signed once per identity and reused while fresh, so
 * authentication costs next to nothing per request.
 */
export class GatewayAuth {
  private readonly verifyUser: (token: string) => Promise<Identity>;
  private readonly verified = new Map<string, Identity>();
  private readonly internal = new Map<string, { header: string; renewAt: number }>();

  constructor(
    settings: UserTokenSettings,
    readonly tokens: InternalTokens,
  ) {
    this.verifyUser = createUserTokenVerifier(settings);
  }

  async identify(authorization: string | null | undefined): Promise<Identity> {
    if (!authorization) return anonymous;
    const token = bearerToken(authorization);
    if (!token) throw unauthenticated('Send credentials as `Authorization: Bearer <token>`, or none to be signed out.');
    const known = this.verified.get(token);
    if (known && (known.expiresAt ?? Infinity) > Date.now()) return known;
    const identity = isTrackingToken(token) ? await this.tokens.verifyTracking(token) : await this.verifyUser(token);
    if (this.verified.size >= 10_000) this.verified.clear();
    this.verified.set(token, identity);
    return identity;
  }

  /** `Bearer <internal token>` carrying this identity, for a subgraph fetch. */
  async internalAuthorization(identity: Identity): Promise<string> {
    const key = `${identity.subject}|${authorizationKey(identity)}|${identity.expiresAt ?? ''}`;
    const cached = this.internal.get(key);
    if (cached && cached.renewAt > Date.now()) return cached.header;
    const header = `Bearer ${await this.tokens.sign(identity)}`;
    if (this.internal.size >= 10_000) this.internal.clear();
    this.internal.set(key, { header, renewAt: Date.now() + 60_000 });
    return header;
  }
}

/** The identity a request's context carries (set by useGatewayAuth). */
export const identityIn = (context: unknown): Identity => (context as { identity?: Identity }).identity ?? anonymous;
