import { describe, expect, it } from 'vitest';
import { InternalTokens } from '../../kit/auth/tokens.ts';
import { eventCursors } from './cursors.ts';

describe('the cursors clients hold', () => {
  const cursors = eventCursors(new InternalTokens('a-secret-of-at-least-32-characters!!'));

  it('stand for an event number that only a holder of the internal secret can read', () => {
    for (const seq of [0, 1, 220, 221, 99_999_999_999]) {
      const cursor = cursors.seal(seq);
      expect(cursor).toMatch(/^[\w-]{22}$/);
      expect(cursor).not.toContain(String(seq));
      expect(cursors.open(cursor)).toBe(seq);
    }
    // Neighbours look unrelated: counting the cursors between two tells nothing.
    expect(cursors.seal(220).slice(0, 8)).not.toBe(cursors.seal(221).slice(0, 8));
    // Another deployment (another secret) opens none of them.
    expect(eventCursors(new InternalTokens('another-secret-of-32-characters-or-more')).open(cursors.seal(220))).toBeNull();
  });

  it('takes "0" as the start of the log, and refuses what no tracking process made', () => {
    expect(cursors.open('0')).toBe(0);
    for (const made of ['220', '', 'x'.repeat(22), 'A'.repeat(22), `${cursors.seal(1)}=`]) expect(cursors.open(made), made).toBeNull();
  });
});
