import type { Collection, Document, Filter, Sort } from 'mongodb';
import { badInput } from './errors.ts';
import { showsNothing } from './storable-text.ts';

// One way to page through every list of the graph: Relay-style connections
// (`edges { cursor node }`, `pageInfo { hasNextPage endCursor }`) with keyset cursors.
// A cursor is the (sort key, id) of the last row seen: the next page is what sorts after it,
// so rows inserted meanwhile (before it, or after it and shown in their turn) repeat nothing
// and skip nothing of what was there, which an offset cannot promise. Cursors are opaque to clients: base64url of a small JSON.

/** Validates a `first` argument: lists are bounded so no query can ask for everything. */
export function pageSize(first: number | null | undefined, fallback = 20, max = 100): number {
  if (first == null) return fallback;
  if (!Number.isInteger(first) || first < 1 || first > max) throw badInput(`first must be between 1 and ${max}`, 'first');
  return first;
}

/**
 * Where a page starts: after the row with this sort key and id (ids as strings; the store
 * turns them back). The key is a time, a text (a name), or null for lists ordered by `_id` alone.
 */
export interface Keyset {
  key: SortKey | null;
  id: string;
}

export type SortKey = Date | string;

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

export function encodeCursor(list: string, keyset: Keyset): string {
  const key = keyset.key instanceof Date ? keyset.key.getTime() : keyset.key;
  return Buffer.from(JSON.stringify([list, key, keyset.id])).toString('base64url');
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
  const [tag, key, id] = parsed as unknown[];
  if (tag !== list || typeof id !== 'string' || showsNothing(id) || id.length > 200) throw refuse();
  // A time within what a Date can hold (±8.64e15 ms); a forged one outside it is no cursor.
  if (typeof key === 'number' && Number.isSafeInteger(key) && Math.abs(key) <= 8.64e15) return { key: new Date(key), id };
  if ((typeof key === 'string' && key.length <= 200) || key === null) return { key, id };
  throw refuse();
}

interface OrderingOf<Id> {
  /** The cursor's list name. */
  list: string;
  direction: 'desc' | 'asc';
  /** Turns a cursor's id back into the `_id`'s type; throws (any error) when it cannot be one. */
  parseId: (id: string) => Id;
}

/** A list ordered by a time field, ties broken by `_id`. */
export interface TimeOrdering<T, Id> extends OrderingOf<Id> {
  timeField: keyof T & string;
  timeOf: (row: T) => Date;
  idOf: (row: T) => string;
}

/** A list ordered by a text field (a name), ties broken by `_id`. */
export interface TextOrdering<T, Id> extends OrderingOf<Id> {
  textField: keyof T & string;
  textOf: (row: T) => string;
  idOf: (row: T) => string;
}

/** A list ordered by its `_id` alone (a natural key such as a sku). */
export interface IdOrdering<T, Id> extends OrderingOf<Id> {
  idOf: (row: T) => string;
}

/** How a list is ordered, newest (desc) or oldest (asc) first, always ending with `_id` so the order is total. */
export type Ordering<T, Id> = TimeOrdering<T, Id> | TextOrdering<T, Id> | IdOrdering<T, Id>;

/** The field sorted on before `_id` and how to read it from a row; null when `_id` alone orders the list. */
function sortKeyOf<T>(ordering: Ordering<T, unknown>): { field: string; kind: 'time' | 'text'; of: (row: T) => SortKey } | null {
  if ('timeField' in ordering) return { field: ordering.timeField, kind: 'time', of: ordering.timeOf };
  if ('textField' in ordering) return { field: ordering.textField, kind: 'text', of: ordering.textOf };
  return null;
}

export function sortOf(ordering: Ordering<never, unknown>): Sort {
  const way = ordering.direction === 'desc' ? -1 : 1;
  const key = sortKeyOf(ordering);
  return key ? { [key.field]: way, _id: way } : { _id: way };
}

/**
 * The rows after the cursor. The sort key is a range (an index bounds it on MongoDB) and the
 * id breaks ties within one key value; the `$or` filters only the rows of that one value.
 */
export function afterFilter<Id>(ordering: Ordering<never, Id>, after: Keyset | null): Document {
  if (!after) return {};
  const id = checkedId(ordering, after);
  const key = sortKeyOf(ordering);
  const [bound, strict] = ordering.direction === 'desc' ? ['$lte', '$lt'] : ['$gte', '$gt'];
  if (!key) return { _id: { [strict]: id } };
  return { [key.field]: { [bound]: after.key }, $or: [{ [key.field]: { [strict]: after.key } }, { _id: { [strict]: id } }] };
}

/** The cursor's id as the `_id`'s type, once the cursor is known to have this ordering's kind of key. */
function checkedId<Id>(ordering: Ordering<never, Id>, after: Keyset): Id {
  const refuse = () => badInput(`after is not a cursor of this list (${ordering.list}); pass an endCursor it returned`, 'after');
  const key = sortKeyOf(ordering);
  const fits = key === null ? after.key === null : key.kind === 'time' ? after.key instanceof Date : typeof after.key === 'string';
  if (!fits) throw refuse();
  try {
    return ordering.parseId(after.id);
  } catch {
    throw refuse();
  }
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
export function connectionOf<T>(rows: T[], page: PageRequest, ordering: Ordering<T, unknown>): Connection<T> {
  const shown = rows.slice(0, page.first);
  const key = sortKeyOf(ordering);
  const edges = shown.map((node) => ({ cursor: encodeCursor(ordering.list, { key: key ? key.of(node) : null, id: ordering.idOf(node) }), node }));
  return { edges, pageInfo: { hasNextPage: rows.length > page.first, endCursor: edges[edges.length - 1]?.cursor ?? null } };
}

/**
 * A page of rows read whole (a short list, such as products asked for by sku, each found by
 * its `_id`): put in order, cut after the cursor, as findPage would answer.
 */
export function pageOfRows<T>(rows: readonly T[], ordering: Ordering<T, unknown>, page: PageRequest): Connection<T> {
  const sorted = rowsAfter(rows, ordering, page.after).sort(compareRows(ordering));
  return connectionOf(sorted.slice(0, page.first + 1), page, ordering);
}

/** Of these rows, the ones a page after `after` may show, in no particular order. */
export function rowsAfter<T>(rows: readonly T[], ordering: Ordering<T, unknown>, after: Keyset | null): T[] {
  if (!after) return [...rows];
  // Compared as the list writes ids (an ObjectId in lower-case hex): a hand-written cursor with
  // the same id in upper case names the same row, and must not skip the rows sorting between.
  const afterId = String(checkedId(ordering as Ordering<never, unknown>, after));
  const way = ordering.direction === 'desc' ? -1 : 1;
  const key = sortKeyOf(ordering);
  return rows.filter((row) => way * (compareKeys(key ? key.of(row) : '', after.key ?? '') || compareKeys(ordering.idOf(row), afterId)) > 0);
}

const compareKeys = (x: SortKey, y: SortKey) => (x < y ? -1 : x > y ? 1 : 0);

/** Orders two rows as `ordering` does (for merging pages read from more than one collection). */
export function compareRows<T>(ordering: Ordering<T, unknown>) {
  const way = ordering.direction === 'desc' ? -1 : 1;
  const key = sortKeyOf(ordering);
  return (a: T, b: T) => way * ((key ? compareKeys(key.of(a), key.of(b)) : 0) || compareKeys(ordering.idOf(a), ordering.idOf(b)));
}
