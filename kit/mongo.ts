import { MongoClient, MongoServerError } from 'mongodb';

/**
 * One pooled client per process. The code uses only what both MongoDB 6+ and
 * FerretDB 1.24 support: single-document updates, unique indexes, `$in` lookups;
 * no transactions, change streams or `$lookup`. FerretDB 1.24 does not apply an
 * update atomically (it reads, changes and writes back), so any read-check-write
 * that must hold under concurrency goes through kit/versioned.ts, whose guarantee
 * rests on unique-key inserts, which both databases enforce.
 */
export async function connectMongo(uri: string, appName: string): Promise<MongoClient> {
  const client = new MongoClient(uri, {
    appName,
    maxPoolSize: 20,
    serverSelectionTimeoutMS: 5_000,
  });
  await client.connect();
  return client;
}

export function isDuplicateKeyError(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === 11000;
}
