import type { Collection } from 'mongodb';
import { insertIgnoringDuplicates } from './mongo.ts';

/** At most this many documents in one request: a burst waits for the next rather than growing one without bound. */
const MAX_DOCUMENTS = 500;

interface Waiting<T> {
  docs: readonly T[];
  resolve: (failed: number[]) => void;
  reject: (error: unknown) => void;
}

/**
 * `insertIgnoringDuplicates` for one collection, shared by every request of a process: a call
 * made while an insert is under way goes with the others made meanwhile in the next request,
 * instead of one request each. Alone, a call is sent at once. Each caller is told the positions
 * of its own documents not inserted (their `_id` taken: another caller's, or one stored before);
 * a failure of the request is every caller's in it, as it would have been alone.
 *
 * Why: on the embedded database each insert request is a transaction of its own in PostgreSQL
 * (BEGIN, INSERT, COMMIT) and a round trip through FerretDB, whatever its size; tracking hears of
 * every move of every order in one request per message.
 */
export function coalescedInserts<T extends { _id: string }>(collection: Collection<T>): (docs: readonly T[]) => Promise<number[]> {
  const waiting: Waiting<T>[] = [];
  let sending = false;

  const send = async () => {
    sending = true;
    while (waiting.length > 0) {
      let count = 0;
      const taken = waiting.findIndex((call) => (count += call.docs.length) > MAX_DOCUMENTS);
      const batch = waiting.splice(0, taken <= 0 ? (taken === 0 ? 1 : waiting.length) : taken);
      try {
        const failed = new Set(await insertIgnoringDuplicates(collection, batch.flatMap((call) => call.docs)));
        let offset = 0;
        for (const call of batch) {
          const from = offset;
          offset += call.docs.length;
          call.resolve(call.docs.flatMap((_, i) => (failed.has(from + i) ? [i] : [])));
        }
      } catch (error) {
        for (const call of batch) call.reject(error);
      }
    }
    sending = false;
  };

  return (docs) => {
    if (docs.length === 0) return Promise.resolve([]);
    return new Promise<number[]>((resolve, reject) => {
      waiting.push({ docs, resolve, reject });
      if (!sending) void send();
    });
  };
}
