import { randomBytes, randomUUID } from 'node:crypto';
import { MongoServerError, type Db, type MongoClient } from 'mongodb';

/**
 * Whether replacing a document "only if it is still revision R" is one atomic step on this
 * database, so that kit/versioned.ts can change a document with one conditional write instead
 * of claiming each version in a history collection first.
 *
 * - **MongoDB**: yes. A `replaceOne` whose filter names the revision is atomic.
 * - **FerretDB 1.24 on the embedded PostgreSQL**: yes, with the guard kit/postgres-indexes.ts
 *   installs. FerretDB finds the document, then writes it back with `UPDATE ... WHERE _id = $2`,
 *   so the filter alone guards nothing: a writer that read revision R can land after another
 *   writer replaced R. The guard is a row trigger on every FerretDB table: a write that moves the
 *   document's `rev` on must say, in `revOf`, the revision it was made from, and PostgreSQL,
 *   which checks it with the row locked, refuses it when the row holds another. The refusal comes
 *   back as an error (FerretDB ignores how many rows an update touched), which `isReplaceConflict`
 *   recognises. Writes that leave `rev` as it is (a `$set` elsewhere) and documents without
 *   `revOf` pass as before.
 * - **FerretDB elsewhere** (its SQLite handler, `EMBEDDED_DB=sqlite`, or a PostgreSQL without the
 *   guard): no. kit/versioned.ts then claims versions through unique-key inserts.
 *
 * Which one applies is found out once per client and database: MongoDB by its `buildInfo` (no
 * `ferretdbVersion`), the guard by trying it on a scratch document in `guard_probe`.
 */
export const REPLACE_CONFLICT = 'compare-and-swap conflict: the document changed since it was read';

/** A guarded replace refused because the document is no longer the revision it was made from. */
export function isReplaceConflict(error: unknown): boolean {
  return error instanceof MongoServerError && error.message.includes(REPLACE_CONFLICT);
}

/** Random per process: revisions made by different processes never meet. */
const revisionPrefix = randomBytes(9).toString('base64url');
let revisionsMade = 0;

/**
 * A fresh revision id for a document's next write: unique, which is all a revision must be (it
 * guards nothing by being unguessable). A counter after a random prefix, where 9 random bytes per
 * write asked the kernel for them each time, 1% of a busy worker's CPU.
 */
export function newRevision(): string {
  revisionsMade += 1;
  return revisionPrefix + revisionsMade.toString(36);
}

const known = new WeakMap<MongoClient, Map<string, Promise<boolean>>>();

export function replacesAreGuarded(db: Db): Promise<boolean> {
  let byDatabase = known.get(db.client);
  if (!byDatabase) known.set(db.client, (byDatabase = new Map()));
  let answer = byDatabase.get(db.databaseName);
  if (!answer) {
    answer = probe(db);
    byDatabase.set(db.databaseName, answer);
    // A failed probe (the database down at start-up) is asked again next time.
    answer.catch(() => byDatabase.delete(db.databaseName));
  }
  return answer;
}

async function probe(db: Db): Promise<boolean> {
  const info = await db.command({ buildInfo: 1 });
  if (!('ferretdbVersion' in info)) return true;
  const scratch = db.collection<{ _id: string; rev: string; revOf?: string }>('guard_probe');
  const _id = randomUUID();
  await scratch.insertOne({ _id, rev: 'probe-a' });
  try {
    // Made from a revision the document never had: only a guarded database refuses it.
    await scratch.replaceOne({ _id }, { rev: 'probe-c', revOf: 'probe-b' });
    return false;
  } catch (error) {
    if (isReplaceConflict(error)) return true;
    throw error;
  } finally {
    await scratch.deleteOne({ _id });
  }
}
