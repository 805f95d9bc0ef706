import DataLoader from 'dataloader';

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
