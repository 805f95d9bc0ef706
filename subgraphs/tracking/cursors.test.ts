import { describe, expect, it } from 'vitest';
import { InternalTokens } from '../../kit/auth/tokens.ts';
import { eventCursors } from './cursors.ts';

describe('the cursors clients hold', () => {
  const cursors = eventCursors(new InternalTokens('a-secret-of-at-least-32-characters!!'));

  it('stand for an event number that only a holder of the internal secret can read', () => {
    for (const seq of [0, 1, 220, 221, 99_999_999_999]) {
      const cursor = cursors.seal(seq);
      expect(cursor).toMatch(/^[\w-]{22}$/);
      expect(cursors.open(cursor)).toBe(seq);
    }
    // The same position sealed twice looks unrelated, as do neighbours: polling one tells nothing.
    expect(cursors.seal(220)).not.toBe(cursors.seal(220));
    expect(cursors.open(cursors.seal(220))).toBe(cursors.open(cursors.seal(220)));
    // Another deployment (another secret) opens none of them.
    expect(eventCursors(new InternalTokens('another-secret-of-32-characters-or-more')).open(cursors.seal(220))).toBeNull();
  });

  it('takes "0" as the start of the log, and refuses what no tracking process made', () => {
    expect(cursors.open('0')).toBe(0);
    for (const made of ['220', '', 'x'.repeat(22), 'A'.repeat(22), `${cursors.seal(1)}=`]) expect(cursors.open(made), made).toBeNull();
    // A second spelling of the same 128 bits (the last character's low bits are not data) is not a cursor.
    const cursor = cursors.seal(7);
    const last = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const other = cursor.slice(0, -1) + last[last.indexOf(cursor.at(-1)!) + 1];
    expect(cursors.open(other)).toBeNull();
  });
});
