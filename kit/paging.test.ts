import { describe, expect, it } from 'vitest';
import { ObjectId } from 'mongodb';
import { parseId } from './ids.ts';
import { decodeCursor, encodeCursor, rowsAfter, type TimeOrdering } from './paging.ts';

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

describe('rows after a cursor', () => {
  interface Row {
    _id: ObjectId;
    at: Date;
  }
  const newestFirst: TimeOrdering<Row, ObjectId> = {
    list: 'rows',
    timeField: 'at',
    direction: 'desc',
    timeOf: (row) => row.at,
    idOf: (row) => row._id.toHexString(),
    parseId: (id) => parseId(id, 'after'),
  };
  // Three rows in one millisecond: ties are broken by id, so the page after the middle one holds the lowest.
  const at = new Date('2026-12-04T10:00:00.000Z');
  const rows = ['64b0000000000000000000aa', '64b0000000000000000000bb', '64b0000000000000000000cc'].map((id) => ({ _id: new ObjectId(id), at }));
  const idsAfter = (id: string) => rowsAfter(rows, newestFirst, { key: at, id }).map((row) => row._id.toHexString());

  it('reads an id in upper-case hex as the same row, skipping nothing of the same moment', () => {
    expect(idsAfter('64b0000000000000000000bb')).toEqual(['64b0000000000000000000aa']);
    expect(idsAfter('64B0000000000000000000BB')).toEqual(['64b0000000000000000000aa']);
  });
});
