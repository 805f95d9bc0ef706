import { createHash } from 'node:crypto';
import { ObjectId } from 'mongodb';
import { badInput } from './errors.ts';

/** Turns a client-supplied id into an ObjectId, or answers BAD_USER_INPUT naming the field. */
export function parseId(value: string, field: string): ObjectId {
  if (!ObjectId.isValid(value) || value.length !== 24) {
    throw badInput(`"${value}" is not a valid ${field}: expected a 24-character hexadecimal id`, field);
  }
  return new ObjectId(value);
}

/** Like parseId, but for lookups where a malformed id simply matches nothing. */
export function tryParseId(value: string): ObjectId | null {
  return ObjectId.isValid(value) && value.length === 24 ? new ObjectId(value) : null;
}

/**
 * The id a client's idempotency key stands for: the same key always gives the same id, so a
 * retried create finds what its first attempt made instead of making a second. `key` must already
 * be scoped (to the customer, to the kind of thing) by the caller.
 */
export function idFromKey(key: string): ObjectId {
  return new ObjectId(createHash('sha256').update(key).digest().subarray(0, 12));
}
