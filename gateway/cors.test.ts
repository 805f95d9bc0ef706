import { describe, expect, it } from 'vitest';
import { parseCorsOrigins } from './cors.ts';

describe('GATEWAY_CORS_ORIGINS', () => {
  it('takes exact origins, separated by commas; none by default', () => {
    expect(parseCorsOrigins(undefined)).toEqual([]);
    expect(parseCorsOrigins('')).toEqual([]);
    expect(parseCorsOrigins(' https://shop.example.com, http://localhost:3000 ')).toEqual(['https://shop.example.com', 'http://localhost:3000']);
  });

  it('refuses what would let any page in, and what a browser never sends as an origin', () => {
    expect(() => parseCorsOrigins('*')).toThrow('any web page');
    expect(() => parseCorsOrigins('https://a.example, null')).toThrow('any web page');
    expect(() => parseCorsOrigins('https://shop.example.com/')).toThrow('https://shop.example.com)');
    expect(() => parseCorsOrigins('shop.example.com')).toThrow('is not an origin');
    expect(() => parseCorsOrigins('ftp://shop.example.com')).toThrow('is not an origin');
  });
});
