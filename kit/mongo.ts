import { MongoBulkWriteError, MongoClient, MongoServerError, type Collection, type CreateIndexesOptions, type Document, type Filter, type IndexSpecification, type OptionalUnlessRequiredId } from 'mongodb';
import { observeMongoCommands } from './metrics.ts';
import { traceMongoCommands } from './telemetry.ts';
import { isDatabaseUnavailable } from './unavailable.ts';
import { failWritesOnClosedConnections } from './mongo-closed-writes.ts';
import { MONGO_POOL_SIZE } from './mongo-pool.ts';
import { slowIdlePoolChecks } from './mongo-idle-checks.ts';

failWritesOnClosedConnections();

/**
 * One pooled client per process. The code uses only what both MongoDB 6+ and
 * FerretDB 1.24 support: single-document updates, unique indexes, `$in` lookups;
 * no transactions, change streams or `$lookup`. FerretDB 1.24 does not apply an
 * update atomically (it reads, changes and writes back), so any read-check-write
 * that must hold under concurrency goes through kit/versioned.ts, whose guarantee
 * rests on unique-key inserts, which both databases enforce, or, where the database
 * makes it atomic, on a replace filtered by revision (kit/guarded-replace.ts).
 */
export async function connectMongo(uri: string, appName: string, { waitMs = connectWaitMs(), onWait }: { waitMs?: number; onWait?: (error: Error) => void } = {}): Promise<MongoClient> {
  const deadline = Date.now() + waitMs;
  for (let attempt = 1; ; attempt++) {
    const client = new MongoClient(uri, {
      appName,
      maxPoolSize: MONGO_POOL_SIZE,
      serverSelectionTimeoutMS: 5_000,
    });
    slowIdlePoolChecks(client);
    try {
      // Every command's round trip is timed (metrics) and, inside a traced request, a span.
      instrumentMongoCommands();
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


/**
 * Calls `onStalled` once when the driver's server monitor has been inside one heartbeat for
 * longer than `stalledMs`. Seen in a chaos run (driver 6.22, FerretDB restarted while its
 * clients were busy): a heartbeat on a connection that closed under it never finished, the
 * server stayed "Unknown", and every operation of that process waited in server selection for
 * ever, with no error to retry on. The cause, a write on a connection that was closing, is
 * fixed in kit/mongo-closed-writes.ts; this stays as the backstop for any other way the driver
 * could wedge. A heartbeat normally ends within the connect timeout, and
 * while the database is down they fail quickly and often, so only a wedged monitor trips this;
 * the process then exits and its supervisor starts it again.
 */
export function watchServerMonitor(client: MongoClient, onStalled: (stalledMs: number) => void, stalledMs = 60_000): () => void {
  let startedAt: number | null = null;
  client.on('serverHeartbeatStarted', () => {
    startedAt ??= Date.now();
  });
  const ended = () => {
    startedAt = null;
  };
  client.on('serverHeartbeatSucceeded', ended);
  client.on('serverHeartbeatFailed', ended);
  let tripped = false;
  const timer = setInterval(() => {
    if (tripped || startedAt === null || Date.now() - startedAt < stalledMs) return;
    tripped = true;
    onStalled(Date.now() - startedAt);
  }, Math.min(5_000, stalledMs / 4));
  timer.unref();
  return () => clearInterval(timer);
}

/** Database latency metrics and spans, for every client of the process (kit/mongo-command-hooks.ts); once is enough. */
export function instrumentMongoCommands(): void {
  observeMongoCommands();
  traceMongoCommands();
}

/** The indexes each collection had when this process first looked, by name, with those it created since. */
const knownIndexes = new WeakMap<Collection<any>, Promise<Map<string, Document>>>();

/**
 * `collection.createIndex(keys, options)`, unless the collection has that index already (by name,
 * with the same keys and uniqueness): a service declares its indexes at every start, and after
 * the first they are there. Its collection's indexes are listed once per process.
 *
 * Why not create them again (a no-op on MongoDB): FerretDB 1.24 creates an index holding its
 * catalogue's lock while it waits for a PostgreSQL connection, and under load (a killed subgraph
 * started again while the others drain a backlog) every connection can be held by an update
 * waiting for that lock: FerretDB then answers nothing until it is restarted. A list takes the
 * lock only to read. An index declared otherwise than it exists is created all the same, which
 * fails as `createIndex` does.
 */
export async function ensureIndex(collection: Collection<any>, keys: IndexSpecification, options: CreateIndexesOptions & { name: string }): Promise<void> {
  const known = indexesOf(collection);
  const existing = (await known).get(options.name);
  if (existing && JSON.stringify(existing.key) === JSON.stringify(keys) && !!existing.unique === !!options.unique) return;
  await collection.createIndex(keys, options);
  (await known).set(options.name, { name: options.name, key: keys, unique: options.unique });
}

/** Drops an index an earlier version declared, if the collection has it (for the same reason as `ensureIndex`: dropping takes FerretDB's catalogue's lock, even for an index that is not there). */
export async function retireIndex(collection: Collection<any>, name: string): Promise<void> {
  const known = await indexesOf(collection);
  if (!known.has(name)) return;
  await collection.dropIndex(name).catch(() => undefined);
  known.delete(name);
}

function indexesOf(collection: Collection<any>): Promise<Map<string, Document>> {
  let known = knownIndexes.get(collection);
  if (!known) {
    known = collection
      .listIndexes()
      .toArray()
      .then((indexes) => new Map(indexes.map((index) => [String(index.name), index])))
      .catch((error: unknown) => {
        // No collection yet: no indexes (code 26, NamespaceNotFound).
        if (error instanceof MongoServerError && error.code === 26) return new Map<string, Document>();
        throw error;
      });
    knownIndexes.set(collection, known);
    known.catch(() => knownIndexes.delete(collection));
  }
  return known;
}

export function isDuplicateKeyError(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === 11000;
}

/**
 * Inserts documents in one request; those whose `_id` is taken already stay as they are.
 * Returns the positions of those not inserted for that reason; any other failure throws.
 */
export async function insertIgnoringDuplicates<T extends { _id: string }>(collection: Collection<T>, docs: readonly T[]): Promise<number[]> {
  if (docs.length === 0) return [];
  try {
    await collection.insertMany(docs as OptionalUnlessRequiredId<T>[], { ordered: false });
    return [];
  } catch (error) {
    if (isDuplicateKeyError(error) && docs.length === 1) return [0];
    const writeErrors = error instanceof MongoBulkWriteError ? [error.writeErrors].flat() : [];
    if (writeErrors.length === 0 || !writeErrors.every((write) => write.code === 11000)) throw error;
    return writeErrors.map((write) => write.index);
  }
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
 * Documents whose `field` is one of `values` (and that match `filter`), for a DataLoader batch,
 * in no particular order. On MongoDB, one `$in` query. FerretDB 1.24 pushes only equality down
 * to PostgreSQL: a `$in` makes it read and decode the whole collection in Go (measured at
 * 20,000 documents: 1.3 s, whether for one value or ten), where an equality is an index lookup
 * (kit/postgres-indexes.ts; 8 ms, ten in parallel 40 ms). There, one equality query per value,
 * in parallel, however many values there are: a scan costs what the collection holds, which for
 * an order's transitions or a stage's queue grows with every order ever placed, where a lookup
 * costs the same on the first day and the thousandth. A field name with a dot is not pushed down
 * either way: keep `$in` for those.
 */
export async function findWhereIn<T extends Document>(
  collection: Collection<T>,
  field: string,
  values: readonly unknown[],
  filter: Filter<T> = {},
  {
    atOnce = LOOKUPS_AT_ONCE,
    projection,
  }: {
    /** Lookups under way at once at most (FerretDB): the rest of the process's requests share its connections. */
    atOnce?: number;
    /** Only these fields (and `_id`) come back: less to send and decode. */
    projection?: Record<string, 1>;
  } = {},
): Promise<T[]> {
  const distinct = [...new Set(values)];
  if (distinct.length === 0) return [];
  const client = clientOf(collection);
  const options = projection ? { projection } : {};
  if (!client || !(await isFerretDB(client))) {
    return (await collection.find({ ...filter, [field]: { $in: distinct } } as Filter<T>, options).toArray()) as T[];
  }
  const found = await inTurns(
    distinct.map((value) => () => collection.find({ ...filter, [field]: value } as Filter<T>, options).toArray()),
    atOnce,
  );
  // A document whose field is an array can match several values: each once, as with `$in`.
  return [...new Map(found.flat().map((doc) => [String(doc._id), doc])).values()] as T[];
}

/** Runs `tasks`, `atOnce` at a time, and gives their results in their order. */
async function inTurns<R>(tasks: readonly (() => Promise<R>)[], atOnce: number): Promise<R[]> {
  const results: R[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await tasks[index]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(atOnce, tasks.length) }, worker));
  return results;
}

/**
 * Lookups of one batch under way at once by default: as many as a process's pool has connections,
 * so that a batch of thousands (an `_entities` call for every order of a page of customers) waits
 * its turns in here, and the process's other requests queue behind one round of it, not all.
 */
const LOOKUPS_AT_ONCE = MONGO_POOL_SIZE;

/** Ascending by string `_id`, as MongoDB sorts them: for what findWhereIn found. */
export const byId = (a: { _id: string }, b: { _id: string }) => (a._id < b._id ? -1 : a._id > b._id ? 1 : 0);

/** Documents by `_id` (that match `filter`), for a DataLoader batch (see findWhereIn). */
export function findByIds<T extends { _id: unknown }>(collection: Collection<T>, ids: readonly T['_id'][], filter: Filter<T> = {}): Promise<T[]> {
  return findWhereIn(collection as unknown as Collection<Document>, '_id', ids, filter as Filter<Document>) as Promise<T[]>;
}
