import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

/**
 * The proxies in front of the gateway (GATEWAY_TRUSTED_PROXIES): addresses and CIDR ranges, IPv4
 * or IPv6, e.g. `10.0.0.0/8,::1`. Only a connection from one of them may say, in
 * X-Forwarded-For, whom it forwards for.
 *
 * An IPv6 range also matches IPv4 peers in their mapped form (`::ffff:a.b.c.d`, as a server
 * listening on `::` sees them). So a range that would trust every IPv4 address is refused:
 * `::ffff:10.0.0.0/8`, copied from a mapped peer address, is `::/8`, not 10.0.0.0/8 (write
 * `10.0.0.0/8`, or `::ffff:10.0.0.0/104`). So is any range that trusts every address.
 */
export class TrustedProxies {
  private readonly list = new BlockList();

  constructor(readonly entries: readonly string[]) {
    for (const [index, entry] of entries.entries()) {
      const [address = '', prefix, extra] = entry.split('/');
      const family = isIP(address);
      const bits = prefix === undefined ? undefined : Number(prefix);
      const maxBits = family === 6 ? 128 : 32;
      if (!family || extra !== undefined || (bits !== undefined && (!/^\d+$/.test(prefix!) || bits > maxBits))) {
        throw new Error(`"${entry}" is not an IP address or a CIDR range (e.g. 10.0.0.0/8 or fd00::/8)`);
      }
      const type = family === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined) this.list.addAddress(address, type);
      else this.list.addSubnet(address, bits, type);
      if (this.trustsEveryIPv4Address()) {
        const together = index > 0 ? ', with the entries before it,' : '';
        throw new Error(`"${entry}"${together} would trust every IPv4 address, so anyone could name any caller; name the proxies' own addresses or ranges (an IPv4 range as 10.0.0.0/8, not ::ffff:10.0.0.0/8)`);
      }
    }
  }

  /** One range (`::/0`, `::ffff:10.0.0.0/8`) or several together (0.0.0.0/1 and 128.0.0.0/1): both ends of every /8 trusted. */
  private trustsEveryIPv4Address(): boolean {
    return Array.from({ length: 256 }, (_, a) => [`${a}.0.0.0`, `${a}.255.255.255`]).flat().every((address) => this.has(address));
  }

  static parse(value: string | undefined): TrustedProxies {
    return new TrustedProxies((value ?? '').split(',').map((entry) => entry.trim()).filter(Boolean));
  }

  has(address: string): boolean {
    const family = isIP(address);
    return family !== 0 && this.list.check(address, family === 6 ? 'ipv6' : 'ipv4');
  }
}

/**
 * The address a request comes from: the connection's peer, unless the peer is a trusted proxy.
 * Then X-Forwarded-For is read from the right, where each proxy appended the address it was
 * connected from, and the first address that is not a trusted proxy is the caller's. Whatever
 * stands left of it could have been written by the caller, so it is never read. An entry that is
 * not an address ends the walk at the proxy that wrote it.
 */
export function clientAddress(req: Pick<IncomingMessage, 'headers' | 'socket'> | undefined, trusted: TrustedProxies | undefined): string | undefined {
  let address = req?.socket?.remoteAddress;
  if (!address || !trusted?.has(address)) return address;
  const header = req!.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = withoutPort(hops[i]!.trim());
    if (!isIP(hop)) return address;
    address = hop;
    if (!trusted.has(hop)) return hop;
  }
  return address;
}

/**
 * What a signed-out caller is counted by: an IPv4 address as it is (also written IPv4-mapped), an
 * IPv6 one by its /64, the smallest block a network is given: counting each of its 2^64 addresses
 * apart would give a caller a new limit with each request. (A home given a /56 still has up to
 * 256 limits.)
 */
export function rateKeyOf(address: string): string {
  const bare = address.split('%')[0]!;
  if (isIP(bare) !== 6) return address;
  const groups = expandIPv6(bare);
  if (groups.slice(0, 5).every((group) => group === '0') && groups[5] === 'ffff') {
    const [high, low] = groups.slice(6).map((group) => Number.parseInt(group, 16));
    return [high! >> 8, high! & 255, low! >> 8, low! & 255].join('.');
  }
  return `${groups.slice(0, 4).join(':')}::/64`;
}

/** The eight groups of an IPv6 address, `::` filled in and an IPv4 tail as two groups. */
function expandIPv6(address: string): string[] {
  const [head = '', tail] = address.split('::') as [string, string | undefined];
  const groups = (part: string) =>
    part
      .split(':')
      .filter(Boolean)
      .flatMap((group) => (group.includes('.') ? ipv4Groups(group) : [group.toLowerCase().replace(/^0+(?=.)/, '')]));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  return [...left, ...Array.from({ length: 8 - left.length - right.length }, () => '0'), ...right];
}

function ipv4Groups(dotted: string): string[] {
  const [a = 0, b = 0, c = 0, d = 0] = dotted.split('.').map(Number);
  return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
}

/** `203.0.113.5:41234` and `[2001:db8::1]:41234`, as some proxies write them, to the address alone. */
function withoutPort(hop: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(hop);
  if (bracketed) return bracketed[1]!;
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(hop);
  return v4 ? v4[1]! : hop;
}
