/**
 * A list of records stored as JSON text (an order's transitions, an element's outbox: FerretDB
 * reads and writes text for less than an array of objects), read back as they were written: each
 * of `dateKeys` that a record holds as a string becomes a Date again. Only those present, and only
 * on the records themselves, not inside what they carry: a time left out stays out (as in an object)
 * rather than becoming an invalid date, and a message's variables come back as they were sent.
 */
export function recordsFromJson<T>(text: string, dateKeys: readonly string[]): T[] {
  // Each record is a fresh object of JSON.parse's: revived where it is, not copied.
  const records = JSON.parse(text) as Record<string, unknown>[];
  for (const record of records) {
    for (const key of dateKeys) {
      const value = record[key];
      if (typeof value === 'string') record[key] = new Date(value);
    }
  }
  return records as T[];
}
