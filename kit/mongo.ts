import { MongoClient, MongoServerError, type Collection, type Filter } from 'mongodb';
import { observeMongoCommands } from './metrics.ts';
import { traceMongoCommands } from './telemetry.ts';
import { isDatabaseUnavailable } from './unavailable.ts';

/**
 * One pooled client per process. The code uses only what both MongoDB 6+ and
 * FerretDB 1.24 support: single-document updates, unique indexes, `$in` lookups;
 * no transactions, change streams or `$lookup`. FerretDB 1.24 does not apply an
 * update atomically (it reads, changes and writes back), so any read-check-write
 * that must hold under concurrency goes through kit/versioned.ts, whose guarantee
 * rests on unique-key inserts, which both databases enforce.
 */
export async function connectMongo(uri: string, appName: string, { waitMs = connectWaitMs(), onWait }: { waitMs?: number; onWait?: (error: Error) => void } = {}): Promise<MongoClient> {
  const deadline = Date.now() + waitMs;
  for (let attempt = 1; ; attempt++) {
    const client = new MongoClient(uri, {
      appName,
      maxPoolSize: 20,
      serverSelectionTimeoutMS: 5_000,
      // Every command's round trip is timed (metrics) and, inside a traced request, a span.
      monitorCommands: true,
    });
    try {
      instrumentMongoClient(client);
      await client.connect();
      return client;
    } catch (error) {
      await client.close().catch(() => {});
      // A process (re)started while its database restarts waits for it rather than crash-loop.
      if (Date.now() >= deadline || !isDatabaseUnavailable(error)) throw error;
      if (attempt === 1) onWait?.(error as Error);
      await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, Math.max(0, deadline - Date.now()))));
    }
  }
}

/** MONGODB_CONNECT_WAIT_MS: how long a starting process waits for an unreachable database (default 60 s). */
function connectWaitMs(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.MONGODB_CONNECT_WAIT_MS ?? 60_000);
  return Number.isFinite(value) && value >= 0 ? value : 60_000;
}


/** Database latency metrics and spans for a client created with `monitorCommands: true`. */
export function instrumentMongoClient(client: MongoClient): void {
  observeMongoCommands(client);
  traceMongoCommands(client);
}

export function isDuplicateKeyError(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === 11000;
}

/**
 * Runs an upsert again when it lost the race to create the document: two writers upserting
 * a document that does not exist yet may both try to insert it, and the loser gets a
 * duplicate-key error (MongoDB and FerretDB alike). The document exists then, so the second
 * run updates it.
 */
export async function upsertRacing<T>(upsert: () => Promise<T>): Promise<T> {
  try {
    return await upsert();
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
    return upsert();
  }
}

const ferretChecks = new WeakMap<MongoClient, Promise<boolean>>();

/** Whether the server is FerretDB (its buildInfo says so); asked once per client. */
export function isFerretDB(client: MongoClient): Promise<boolean> {
  let check = ferretChecks.get(client);
  if (!check) {
    check = client
      .db('admin')
      .command({ buildInfo: 1 })
      .then((info) => 'ferretdbVersion' in info || 'ferretdb' in info)
      .catch(() => false);
    ferretChecks.set(client, check);
  }
  return check;
}

// The driver keeps the client on the collection without typing it; without it, assume MongoDB.
const clientOf = (collection: Collection<any>) => (collection as unknown as { client?: MongoClient }).client;

/**
 * Documents by `_id`, for a DataLoader batch. On MongoDB, one `$in` query. On FerretDB 1.24,
 * which answers only an exact `_id` match from its index and scans the whole collection for
 * `$in` (measured: 1 ms against 32 ms at 2,000 documents), one lookup per id, in parallel.
 */
export async function findByIds<T extends { _id: unknown }>(collection: Collection<T>, ids: readonly T['_id'][]): Promise<T[]> {
  if (ids.length === 0) return [];
  const client = clientOf(collection);
  if (ids.length > 64 || !client || !(await isFerretDB(client))) {
    return (await collection.find({ _id: { $in: [...ids] } } as Filter<T>).toArray()) as T[];
  }
  const found = await Promise.all(ids.map((id) => collection.findOne({ _id: id } as Filter<T>)));
  return found.filter((doc) => doc !== null) as T[];
}
