import type { Collection, Document, Filter, Sort } from 'mongodb';
import { badInput } from './errors.ts';

// One way to page through every list of the graph: Relay-style connections
// (`edges { cursor node }`, `pageInfo { hasNextPage endCursor }`) with keyset cursors.
// A cursor is the (time, id) of the last row seen: the next page is what sorts after it,
// so rows inserted meanwhile (newer: they sort before it) repeat nothing and skip nothing,
// which an offset cannot promise. Cursors are opaque to clients: base64url of a small JSON.

/** Validates a `first` argument: lists are bounded so no query can ask for everything. */
export function pageSize(first: number | null | undefined, fallback = 20, max = 100): number {
  if (first == null) return fallback;
  if (!Number.isInteger(first) || first < 1 || first > max) throw badInput(`first must be between 1 and ${max}`, 'first');
  return first;
}

/** Where a page starts: after the row with this time and id (ids as strings; the store turns them back). */
export interface Keyset {
  at: Date;
  id: string;
}

export interface PageRequest {
  first: number;
  after: Keyset | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface Connection<T> {
  edges: Edge<T>[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/**
 * Reads `first`/`after` for the list named `list`. A cursor is tied to its list (a cursor of
 * the orders list given to the exceptions list is refused, not misread); anything that is
 * not a cursor this list gave is BAD_USER_INPUT.
 */
export function pageRequest(list: string, args: { first?: number | null; after?: string | null }, fallback = 20, max = 100): PageRequest {
  return { first: pageSize(args.first, fallback, max), after: args.after == null ? null : decodeCursor(list, args.after) };
}

export function encodeCursor(list: string, key: Keyset): string {
  return Buffer.from(JSON.stringify([list, key.at.getTime(), key.id])).toString('base64url');
}

export function decodeCursor(list: string, cursor: string): Keyset {
  const refuse = () => badInput(`after: "${cursor.slice(0, 64)}" is not a cursor of this list (${list}); pass an endCursor it returned`, 'after');
  if (cursor.length > 512 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw refuse();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw refuse();
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) throw refuse();
  const [tag, ms, id] = parsed as unknown[];
  if (tag !== list || typeof ms !== 'number' || !Number.isSafeInteger(ms) || typeof id !== 'string' || id.length === 0 || id.length > 200) throw refuse();
  return { at: new Date(ms), id };
}

/** How a list is ordered: by a time field, then by `_id`, both newest (desc) or oldest (asc) first. */
export interface Ordering<T, Id> {
  /** The cursor's list name. */
  list: string;
  timeField: keyof T & string;
  direction: 'desc' | 'asc';
  timeOf: (row: T) => Date;
  idOf: (row: T) => string;
  /** Turns a cursor's id back into the `_id`'s type; throws (any error) when it cannot be one. */
  parseId: (id: string) => Id;
}

export function sortOf(ordering: Ordering<never, unknown>): Sort {
  const way = ordering.direction === 'desc' ? -1 : 1;
  return { [ordering.timeField]: way, _id: way };
}

/**
 * The rows after the cursor. The time is a range (an index bounds it on MongoDB) and the id
 * breaks ties within one millisecond; the `$or` filters only the rows of that one time.
 */
export function afterFilter<Id>(ordering: Ordering<never, Id>, after: Keyset | null): Document {
  if (!after) return {};
  let id: Id;
  try {
    id = ordering.parseId(after.id);
  } catch {
    throw badInput(`after is not a cursor of this list (${ordering.list}); pass an endCursor it returned`, 'after');
  }
  const [bound, strict] = ordering.direction === 'desc' ? ['$lte', '$lt'] : ['$gte', '$gt'];
  return { [ordering.timeField]: { [bound]: after.at }, $or: [{ [ordering.timeField]: { [strict]: after.at } }, { _id: { [strict]: id } }] };
}

/**
 * One page of `collection` matching `filter` in `ordering`. Reads one row more than asked
 * to tell whether there is a next page. Every list's filter should name an indexed field
 * by equality (see docs/architecture.md, "Indexes"), so the rows read stay few.
 */
export async function findPage<T extends Document, Id>(collection: Collection<T>, filter: Filter<T>, ordering: Ordering<T, Id>, page: PageRequest): Promise<Connection<T>> {
  return connectionOf(await findPageRows(collection, filter, ordering, page), page, ordering);
}

/** The rows of a page and one more when there is a next page, for lists merged from several collections. */
export async function findPageRows<T extends Document, Id>(collection: Collection<T>, filter: Filter<T>, ordering: Ordering<T, Id>, page: PageRequest): Promise<T[]> {
  const query = { ...filter, ...afterFilter(ordering as Ordering<never, Id>, page.after) } as Filter<T>;
  return (await collection.find(query).sort(sortOf(ordering as Ordering<never, unknown>)).limit(page.first + 1).toArray()) as T[];
}

/** A connection from rows already in order, one more than the page when there is a next page. */
export function connectionOf<T>(rows: T[], page: PageRequest, ordering: Pick<Ordering<T, unknown>, 'list' | 'timeOf' | 'idOf'>): Connection<T> {
  const shown = rows.slice(0, page.first);
  const edges = shown.map((node) => ({ cursor: encodeCursor(ordering.list, { at: ordering.timeOf(node), id: ordering.idOf(node) }), node }));
  return { edges, pageInfo: { hasNextPage: rows.length > page.first, endCursor: edges[edges.length - 1]?.cursor ?? null } };
}

/** Orders two rows as `ordering` does (for merging pages read from more than one collection). */
export function compareRows<T>(ordering: Pick<Ordering<T, unknown>, 'direction' | 'timeOf' | 'idOf'>) {
  const way = ordering.direction === 'desc' ? -1 : 1;
  return (a: T, b: T) => {
    const byTime = ordering.timeOf(a).getTime() - ordering.timeOf(b).getTime();
    if (byTime !== 0) return way * byTime;
    const [x, y] = [ordering.idOf(a), ordering.idOf(b)];
    return way * (x < y ? -1 : x > y ? 1 : 0);
  };
}
