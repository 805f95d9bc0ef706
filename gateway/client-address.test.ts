import { describe, expect, it } from 'vitest';
import { clientAddress, rateKeyOf, TrustedProxies } from './client-address.ts';
import { gatewayConfig } from './env.ts';

const request = (remoteAddress: string, forwardedFor?: string | string[]) => ({
  socket: { remoteAddress } as never,
  headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
});

describe('the address a signed-out caller is counted by', () => {
  const proxies = TrustedProxies.parse('10.0.0.0/8, 127.0.0.1, fd00::/8');

  it('is the connection’s own address when nobody is trusted, whatever x-forwarded-for says', () => {
    expect(clientAddress(request('198.51.100.7', '203.0.113.5'), undefined)).toBe('198.51.100.7');
    expect(clientAddress(request('198.51.100.7', '203.0.113.5'), TrustedProxies.parse(''))).toBe('198.51.100.7');
  });

  it('is the connection’s own address when it is not a trusted proxy', () => {
    expect(clientAddress(request('198.51.100.7', '203.0.113.5'), proxies)).toBe('198.51.100.7');
  });

  it('is the nearest untrusted address in x-forwarded-for behind trusted proxies, never one the caller wrote further left', () => {
    expect(clientAddress(request('10.1.2.3', '203.0.113.5'), proxies)).toBe('203.0.113.5');
    // Two proxies of ours: the client's address is the one the outer proxy appended.
    expect(clientAddress(request('127.0.0.1', '203.0.113.5, 10.9.9.9'), proxies)).toBe('203.0.113.5');
    // The caller wrote 192.0.2.1 itself; the proxy appended where it really came from.
    expect(clientAddress(request('10.1.2.3', '192.0.2.1, 203.0.113.5'), proxies)).toBe('203.0.113.5');
    // A caller naming one of our proxies as itself gains nothing: the walk reads past it only from the right.
    expect(clientAddress(request('10.1.2.3', '10.0.0.1, 203.0.113.5'), proxies)).toBe('203.0.113.5');
    // Header lines given more than once are one list; IPv6 and IPv4-mapped peers; ports as some proxies write them.
    expect(clientAddress(request('::ffff:10.1.2.3', ['192.0.2.1', '2001:db8::1']), proxies)).toBe('2001:db8::1');
    expect(clientAddress(request('fd12::1', '[2001:db8::2]:4711'), proxies)).toBe('2001:db8::2');
    expect(clientAddress(request('10.1.2.3', '203.0.113.9:51000'), proxies)).toBe('203.0.113.9');
  });

  it('stays the proxy’s when the proxy said nothing usable, or only named other proxies of ours', () => {
    expect(clientAddress(request('10.1.2.3'), proxies)).toBe('10.1.2.3');
    expect(clientAddress(request('10.1.2.3', 'unknown'), proxies)).toBe('10.1.2.3');
    expect(clientAddress(request('10.1.2.3', '203.0.113.5, garbage'), proxies)).toBe('10.1.2.3');
    expect(clientAddress(request('10.1.2.3', '10.4.4.4'), proxies)).toBe('10.4.4.4');
  });

  it('counts an IPv6 caller by its /64, so that one host cannot take a new limit with each of its addresses', () => {
    expect(rateKeyOf('203.0.113.5')).toBe('203.0.113.5');
    expect(rateKeyOf('::ffff:203.0.113.5')).toBe('203.0.113.5');
    for (const mapped of ['0:0:0:0:0:ffff:203.0.113.5', '0::FFFF:203.0.113.5', '::ffff:cb00:7105']) expect(rateKeyOf(mapped), mapped).toBe('203.0.113.5');
    expect(rateKeyOf('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(rateKeyOf('2001:DB8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(rateKeyOf('2001:0db8:0001:0002:0:0:0:9')).toBe('2001:db8:1:2::/64');
    expect(rateKeyOf('2001:db8:1:3::1')).not.toBe(rateKeyOf('2001:db8:1:2::1'));
    expect(rateKeyOf('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(rateKeyOf('::1')).toBe('0:0:0:0::/64');
    expect(rateKeyOf('64:ff9b::192.0.2.33')).toBe('64:ff9b:0:0::/64');
  });

  it('refuses a range that would trust every address, or every IPv4 one through its mapped form', () => {
    for (const all of ['0.0.0.0/0', '::/0', '::ffff:10.0.0.0/8', '::ffff:192.168.0.0/16', '::/80', '::ffff:0:0/96', '0.0.0.0/1,128.0.0.0/1', '::ffff:0:0/97,::ffff:128.0.0.0/97']) {
      expect(() => TrustedProxies.parse(all), all).toThrow('would trust every');
    }
    // A mapped range written with its IPv6 length is the IPv4 range it names.
    const mapped = TrustedProxies.parse('::ffff:10.0.0.0/104');
    expect(mapped.has('10.1.2.3')).toBe(true);
    expect(mapped.has('::ffff:10.1.2.3')).toBe(true);
    expect(mapped.has('11.1.2.3')).toBe(false);
    expect(TrustedProxies.parse('fd00::/8').has('203.0.113.5')).toBe(false);
  });

  it('refuses a trusted-proxy list it cannot read, at start-up, naming the variable', () => {
    for (const bad of ['10.0.0.0/33', 'proxy.internal', '10.0.0.1/8/8', 'fd00::/129', '10.0.0.0/x']) {
      expect(() => TrustedProxies.parse(bad)).toThrow('is not an IP address or a CIDR range');
    }
    const base = { AUTH_JWT_SECRET: 'x'.repeat(32), INTERNAL_AUTH_SECRET: 'y'.repeat(32) };
    expect(() => gatewayConfig({ ...base, GATEWAY_TRUSTED_PROXIES: '10.0.0.0/8,lb.internal' })).toThrow(/GATEWAY_TRUSTED_PROXIES.*"lb\.internal" is not an IP address/);
    expect(gatewayConfig({ ...base, GATEWAY_TRUSTED_PROXIES: '10.0.0.0/8' }).limits.trustedProxies?.has('10.3.3.3')).toBe(true);
    expect(gatewayConfig(base).limits.trustedProxies).toBeUndefined();
  });
});
