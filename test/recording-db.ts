import type { Db, Document, Filter } from 'mongodb';

/**
 * `db` whose collection `name` records every `find` filter it is sent in `filters`: a test of a
 * store built on it sees what each of its reads asked the database for (one page of a list read a
 * slot at a time, say), against the real database, which still answers every read.
 */
export function recordingFinds<T extends Document>(db: Db, name: string, filters: Filter<T>[]): Db {
  return new Proxy(db, {
    get(target, property) {
      if (property !== 'collection') return Reflect.get(target, property, target);
      return (wanted: string, ...options: unknown[]) => {
        const collection = (target.collection as (...args: unknown[]) => ReturnType<Db['collection']>)(wanted, ...options);
        if (wanted !== name) return collection;
        return new Proxy(collection, {
          get(inner, key) {
            if (key !== 'find') return Reflect.get(inner, key, inner);
            return (filter: Filter<T>, ...rest: unknown[]) => {
              filters.push(filter);
              return (inner.find as (...args: unknown[]) => unknown).call(inner, filter, ...rest);
            };
          },
        });
      };
    },
  });
}
