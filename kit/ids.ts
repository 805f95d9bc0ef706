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
