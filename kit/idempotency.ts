import { isDeepStrictEqual } from 'node:util';
import { clientError, ErrorCode } from './errors.ts';

/**
 * An idempotency key names one request's content, not just "some request": a retry with
 * the same content answers what the first one did; the key reused for anything else is a
 * CONFLICT, never the first request's outcome passed off as the second's.
 */
export function sameRequestOrConflict<T>(stored: T, incoming: unknown, what: string, field: string): T {
  if (!isDeepStrictEqual(comparable(stored), comparable(incoming))) {
    throw clientError(ErrorCode.CONFLICT, `${what} was already used for a request with other content`, { field });
  }
  return stored;
}

// Stored documents come back with Dates and without undefined fields: compare as JSON does.
const comparable = (value: unknown) => JSON.parse(JSON.stringify(value ?? null)) as unknown;
