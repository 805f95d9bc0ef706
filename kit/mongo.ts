import { MongoClient, MongoServerError } from 'mongodb';

/**
 * One pooled client per process. The code uses only what both MongoDB 6+ and
 * FerretDB 1.24 support: single-document atomic updates, unique indexes, `$in`
 * lookups; no transactions, change streams or `$lookup`.
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
