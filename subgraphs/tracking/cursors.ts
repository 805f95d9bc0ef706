import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { InternalTokens } from '../../kit/auth/tokens.ts';

/**
 * The cursors clients hold: an event's number in the log, sealed with a key (one AES block).
 * The number counts every event of every order, so given out as it is, a customer following
 * their own order, or anyone with a tracking link, read from it how many events the whole
 * system records, live: the business's order volume. Sealed, a cursor says nothing but where
 * to resume. The key is derived from the internal secret, so every tracking process opens the
 * cursors any of them gave out. `"0"` stays what it was: from the oldest event kept.
 */
export class EventCursors {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    this.key = key.subarray(0, 16);
  }

  seal(seq: number): string {
    const block = Buffer.alloc(16);
    block.writeBigUInt64BE(BigInt(seq), 8);
    const cipher = createCipheriv('aes-128-ecb', this.key, null).setAutoPadding(false);
    return Buffer.concat([cipher.update(block), cipher.final()]).toString('base64url');
  }

  /** The event number a cursor stands for, or null if no tracking process sealed it. */
  open(cursor: string): number | null {
    if (cursor === '0') return 0;
    if (!/^[A-Za-z0-9_-]{22}$/.test(cursor)) return null;
    const decipher = createDecipheriv('aes-128-ecb', this.key, null).setAutoPadding(false);
    const block = Buffer.concat([decipher.update(Buffer.from(cursor, 'base64url')), decipher.final()]);
    // The first half of what was sealed is zero: anything else was not made here (one chance in 2^64 to forge).
    if (block.readBigUInt64BE(0) !== 0n) return null;
    const seq = block.readBigUInt64BE(8);
    return seq <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(seq) : null;
  }
}

export const eventCursors = (tokens: InternalTokens) => new EventCursors(tokens.derivedKey('tracking: event cursors'));
