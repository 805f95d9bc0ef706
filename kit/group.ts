/**
 * `items` in groups by `keyOf`, each in the order given, the groups in the order their first item
 * came (Node.js 20 has no `Map.groupBy`). Appends in place: a copy per item made a backlog of
 * thousands quadratic.
 */
export function groupBy<T, K>(items: Iterable<T>, keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}
