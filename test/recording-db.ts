import type { Collection, Db, Document, Filter } from 'mongodb';

/** `collection` with every `find` filter it is sent recorded in `filters`; the real database still answers every read. */
export function recordingFinds<T extends Document>(collection: Collection<T>, filters: Filter<T>[]): Collection<T> {
  return new Proxy(collection, {
    get(target, property) {
      if (property !== 'find') return Reflect.get(target, property, target);
      return (filter: Filter<T>, ...rest: unknown[]) => {
        filters.push(filter);
        return (target.find as (...args: unknown[]) => unknown).call(target, filter, ...rest);
      };
    },
  });
}

/**
 * `db` whose collection `name` records every `find` filter it is sent (`recordingFinds`): a test of
 * a store built on it sees what each of its reads asked the database for (one page of a list read a
 * slot at a time, say).
 */
export function recordingFindsIn<T extends Document>(db: Db, name: string, filters: Filter<T>[]): Db {
  return new Proxy(db, {
    get(target, property) {
      if (property !== 'collection') return Reflect.get(target, property, target);
      return (wanted: string, ...options: unknown[]) => {
        const collection = (target.collection as (...args: unknown[]) => Collection<T>)(wanted, ...options);
        return wanted === name ? recordingFinds(collection, filters) : collection;
      };
    },
  });
}
