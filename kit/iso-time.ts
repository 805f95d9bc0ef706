import { badInput } from './errors.ts';

/** An ISO 8601 time with its offset, as services send them (`toISOString`). */
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/**
 * The time `text` gives, or null. Only ISO 8601 with an offset: `Date` also reads "2024",
 * "12/31/2020" and a time with no offset (as the server's local time), and rolls 31 February
 * over into March, so a time one service sent would mean something else to the next.
 */
export function isoTime(text: string): Date | null {
  const parts = ISO_TIME.exec(text);
  if (!parts) return null;
  const [year, month, day] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) return null;
  const at = new Date(text);
  return Number.isNaN(at.getTime()) ? null : at;
}

/** The time another service sent in `field`; BAD_USER_INPUT naming the field when it is not such a time. */
export function sentTime(text: string, field: string): Date {
  const at = isoTime(text);
  if (!at) throw badInput(`${field} must be an ISO 8601 time with an offset, as 2020-01-31T12:00:00.000Z, not ${JSON.stringify(text.slice(0, 40))}`, field);
  return at;
}
