import DataLoader from 'dataloader';
import type { ObjectId } from 'mongodb';
import { tryParseId } from './ids.ts';

/**
 * A per-request DataLoader that answers many entity lookups with one batched
 * query, returning null for keys that match nothing.
 */
export function entityLoader<K, V>(
  fetchMany: (keys: readonly K[]) => Promise<V[]>,
  keyOfValue: (value: V) => string,
  keyOfKey: (key: K) => string = String,
): DataLoader<K, V | null, string> {
  return new DataLoader<K, V | null, string>(
    async (keys) => {
      const found = new Map((await fetchMany(keys)).map((value) => [keyOfValue(value), value]));
      return keys.map((key) => found.get(keyOfKey(key)) ?? null);
    },
    { cacheKeyFn: keyOfKey },
  );
}

/**
 * entityLoader for documents keyed by ObjectId and addressed by its hex string, in either case
 * (an ObjectId's hex string is lower-case; one written in upper case is the same id); malformed
 * ids find nothing.
 */
export function objectIdLoader<V extends { _id: ObjectId }>(findByIds: (ids: ObjectId[]) => Promise<V[]>) {
  return entityLoader<string, V>(
    (ids) => findByIds(ids.map(tryParseId).filter((id) => id !== null)),
    (value) => value._id.toHexString(),
    (id) => id.toLowerCase(),
  );
}
