import { describe, expect, it } from 'vitest';
import { CallbackPolicy } from './callbacks.ts';

// Which callback URLs a requester may give: only those under an allow-listed prefix, by whole
// path segments, and none whose path reads differently once the receiving server decodes it.

const codeOf = (check: () => unknown) => {
  try {
    check();
    return 'accepted';
  } catch (error) {
    return (error as { extensions?: { code?: string } }).extensions?.code;
  }
};

describe('a callback URL', () => {
  const policy = new CallbackPolicy(['https://hooks.example.com/cb', 'https://shop.example.com/hooks/']);

  it('is taken at an allow-listed prefix or below it, by whole path segments', () => {
    expect(policy.check('https://hooks.example.com/cb')).toBe('https://hooks.example.com/cb');
    expect(policy.check('https://hooks.example.com/cb/orders?id=1')).toBe('https://hooks.example.com/cb/orders?id=1');
    expect(policy.check('https://shop.example.com/hooks/payments')).toBe('https://shop.example.com/hooks/payments');
    expect(codeOf(() => policy.check('https://hooks.example.com/cbevil'))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => policy.check('https://shop.example.com/hooksx'))).toBe('BAD_USER_INPUT');
  });

  it('is refused with an encoded slash or backslash in its path, which the receiver would read as another path', () => {
    for (const url of [
      'https://shop.example.com/hooks/..%2fadmin',
      'https://shop.example.com/hooks/..%5Cadmin',
      'https://hooks.example.com/cb/%2F%2Fx',
      'https://shop.example.com/hooks/%252f..%252fx',
      'https://shop.example.com/hooks/..;/x',
      'https://shop.example.com/hooks/%2e%2e%3b/x',
      'https://shop.example.com/hooks/%C0%AE%C0%AE/x',
      'https://shop.example.com/hooks/%2e%2e%2e/x%3Ba',
    ]) {
      expect(codeOf(() => policy.check(url)), url).toBe('BAD_USER_INPUT');
    }
  });
});
