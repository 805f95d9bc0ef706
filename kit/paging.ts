import { badInput } from './errors.ts';

/** Validates a `first` argument: lists are bounded so no query can ask for everything. */
export function pageSize(first: number | null | undefined, fallback = 20, max = 100): number {
  if (first == null) return fallback;
  if (!Number.isInteger(first) || first < 1 || first > max) throw badInput(`first must be between 1 and ${max}`, 'first');
  return first;
}
