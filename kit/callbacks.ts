import { lookup } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { Agent } from 'undici';
import { badInput } from './errors.ts';

/** Loopback, private, link-local, unique-local, carrier-grade NAT, unspecified: never reachable by default. */
const internalRanges = new BlockList();
for (const [address, prefix] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.168.0.0', 16], ['224.0.0.0', 4], ['240.0.0.0', 4]] as const) {
  internalRanges.addSubnet(address, prefix, 'ipv4');
}
for (const [address, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) internalRanges.addSubnet(address, prefix, 'ipv6');

export function isInternalAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return internalRanges.check(mapped, 'ipv4');
  return internalRanges.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * Where a service may call back (server-side request forgery defence). A callback URL must
 * start with one of the allow-listed prefixes (scheme, host, port and path), carry no
 * credentials, and, when sent, connect to an address that is not loopback, private or
 * link-local, unless the allow-listed entry names that address itself (an IP literal or
 * localhost). The address is checked as the connection is made, so a name that resolves to
 * an internal address later (DNS rebinding) is refused too. Redirects are never followed.
 */
export class CallbackPolicy {
  private readonly prefixes: URL[];
  /** Hosts allow-listed by address: the only internal targets allowed. */
  private readonly internalHosts: Set<string>;
  readonly agent: Agent;

  constructor(allowList: readonly string[]) {
    this.prefixes = allowList.map((entry) => new URL(entry));
    this.internalHosts = new Set(this.prefixes.filter((url) => isIP(bare(url.hostname)) || url.hostname === 'localhost').map((url) => bare(url.hostname)));
    this.agent = new Agent({
      connect: {
        lookup: (hostname, options, callback) => {
          lookup(hostname, { all: true }, (error, addresses) => {
            if (error) return callback(error, '', 0);
            // A name may lead to an internal address only if that name itself was allow-listed as one (localhost);
            // an address allow-listed by value is reached only by that value (no lookup happens for it).
            const allowedInternal = this.internalHosts.has(bare(hostname));
            const refused = addresses.find((a) => isInternalAddress(a.address) && !allowedInternal);
            if (refused) return callback(new Error(`${hostname} resolves to ${refused.address}, an internal address that is not allow-listed`), '', 0);
            if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: typeof addresses) => void)(null, addresses);
            callback(null, addresses[0]!.address, addresses[0]!.family);
          });
        },
      },
    });
  }

  /**
   * The URL as it is called back (parsed and written out again: `HTTPS://Hooks.example.com/a` is
   * `https://hooks.example.com/a`), or BAD_USER_INPUT (field `field`) unless it may be called back.
   */
  check(candidate: string, field = 'callbackUrl'): string {
    let url: URL;
    try {
      url = new URL(candidate);
    } catch {
      throw badInput(`${field} must be an http(s) URL`, field);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badInput(`${field} must be an http(s) URL`, field);
    if (url.username || url.password) throw badInput(`${field} must not carry credentials`, field);
    // An encoded slash or backslash is one path segment here and two where the requester's server
    // decodes it (`/hooks/..%2fadmin`): the path it reaches is not the one allow-listed.
    if (/%(2f|5c)/i.test(url.pathname)) throw badInput(`${field} must not hold an encoded slash or backslash in its path`, field);
    // Nor anything a receiver may read as another path: what is still encoded once decoded (`%252f`),
    // bytes that are no UTF-8 (an overlong `%C0%AE` for a dot), path parameters (`..;/`, which some
    // servers take as `..`), dot segments.
    let decoded: string;
    try {
      decoded = decodeURIComponent(url.pathname);
    } catch {
      throw badInput(`${field} must not hold encoded bytes that are not UTF-8 in its path`, field);
    }
    if (/[%;\\]/.test(decoded) || decoded.split('/').some((segment) => segment === '.' || segment === '..')) {
      throw badInput(`${field} must not hold double encoding, path parameters (;) or dot segments in its path`, field);
    }
    const allowed = this.prefixes.some((prefix) => prefix.protocol === url.protocol && prefix.host === url.host && underPath(url.pathname, prefix.pathname));
    if (!allowed) throw badInput(`${field} ${url.origin}${url.pathname} is not on this service's allow-list of callback addresses`, field);
    return url.href;
  }

  /** POSTs JSON to an allowed URL; a redirect is a failure, not followed. */
  async post(target: string, body: unknown): Promise<string | null> {
    try {
      this.check(target);
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
    const { fetch } = await import('undici');
    try {
      const response = await fetch(target, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        redirect: 'manual',
        dispatcher: this.agent,
        signal: AbortSignal.timeout(5_000),
      });
      await response.body?.cancel();
      if (response.status >= 300 && response.status < 400) return `callback answered with a redirect (HTTP ${response.status}), which is not followed`;
      return response.ok ? null : `callback answered HTTP ${response.status}`;
    } catch (error) {
      const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
      return `callback failed: ${cause}`;
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

const bare = (hostname: string) => hostname.replace(/^\[|\]$/g, '');

/**
 * Whether `path` is the allow-listed `prefix` or below it, by whole segments: `/cb` allows `/cb`
 * and `/cb/x`, not `/cbevil` (a prefix ending in `/` allows what is below it, as before).
 */
function underPath(path: string, prefix: string): boolean {
  if (prefix.endsWith('/')) return path.startsWith(prefix);
  return path === prefix || path.startsWith(`${prefix}/`);
}

/** `PAYMENTS_CALLBACK_ALLOWLIST`-style setting: comma-separated URL prefixes. */
export function parseAllowList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}
