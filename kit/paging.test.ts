import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from './paging.ts';

// Cursors are opaque to clients, but a client can still send anything: what is not a cursor
// this list gave is refused (BAD_USER_INPUT), never read as an empty page or a filter.

const forged = (parts: unknown[]) => Buffer.from(JSON.stringify(parts)).toString('base64url');
const codeOf = (cursor: string) => {
  try {
    decodeCursor('customers', cursor);
    return 'accepted';
  } catch (error) {
    return (error as { extensions?: { code?: string } }).extensions?.code;
  }
};

describe('cursors', () => {
  it('takes back what the list gave', () => {
    const keyset = { key: new Date('2026-11-30T01:02:03.004Z'), id: '64b000000000000000000002' };
    expect(decodeCursor('customers', encodeCursor('customers', keyset))).toEqual(keyset);
  });

  it('refuses a time no date can hold, another list, a filter or nothing in place of an id, and garbage', () => {
    expect(codeOf(forged(['customers', 9_000_000_000_000_000, '64b000000000000000000002']))).toBe('BAD_USER_INPUT');
    expect(codeOf(forged(['customers', -9_000_000_000_000_000, '64b000000000000000000002']))).toBe('BAD_USER_INPUT');
    expect(codeOf(forged(['orders', 1, '64b000000000000000000002']))).toBe('BAD_USER_INPUT');
    expect(codeOf(forged(['customers', 1, { $gt: '' }]))).toBe('BAD_USER_INPUT');
    expect(codeOf('not a cursor!')).toBe('BAD_USER_INPUT');
    // An id that shows nothing names no element to start after (it read as an empty page).
    for (const blank of ['', ' ', '\u200B']) expect(codeOf(forged(['customers', 1, blank])), JSON.stringify(blank)).toBe('BAD_USER_INPUT');
    expect(codeOf(forged(['customers', 1, 'c-1']))).toBe('accepted');
  });
});
