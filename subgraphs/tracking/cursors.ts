import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';
import type { InternalTokens } from '../../kit/auth/tokens.ts';

/**
 * The cursors clients hold: an event's number in the log, sealed with a key (one AES block).
 * The number counts every event of every order, so given out as it is, a customer following
 * their own order, or anyone with a tracking link, read from it how many events the whole
 * system records, live: the business's order volume. Sealed with random bytes beside the
 * number, a cursor says nothing but where to resume: the same position sealed twice gives two
 * cursors, so polling `Order.historyCursor` does not show when the log grows either. The key is
 * derived from the internal secret, so every tracking process opens the cursors any of them
 * gave out. `"0"` stays what it was: from the oldest event kept.
 *
 * The block: 6 random bytes, 4 zero bytes (what was not sealed here opens to something else but
 * these, bar one chance in 2^32, and then names some position, which shows only what the
 * caller may see anyway), and the number in 6 bytes.
 */
export class EventCursors {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    this.key = key.subarray(0, 16);
  }

  seal(seq: number): string {
    const block = Buffer.alloc(16);
    randomFillSync(block, 0, 6);
    block.writeUIntBE(seq, 10, 6);
    const cipher = createCipheriv('aes-128-ecb', this.key, null).setAutoPadding(false);
    return Buffer.concat([cipher.update(block), cipher.final()]).toString('base64url');
  }

  /** The event number a cursor stands for, or null if no tracking process sealed it. */
  open(cursor: string): number | null {
    if (cursor === '0') return 0;
    if (!/^[A-Za-z0-9_-]{22}$/.test(cursor)) return null;
    const sealed = Buffer.from(cursor, 'base64url');
    // 22 characters carry 132 bits: only one spelling of the 128 is a cursor.
    if (sealed.toString('base64url') !== cursor) return null;
    const decipher = createDecipheriv('aes-128-ecb', this.key, null).setAutoPadding(false);
    const block = Buffer.concat([decipher.update(sealed), decipher.final()]);
    if (block.readUInt32BE(6) !== 0) return null;
    return block.readUIntBE(10, 6);
  }
}

export const eventCursors = (tokens: InternalTokens) => new EventCursors(tokens.derivedKey('tracking: event cursors'));
