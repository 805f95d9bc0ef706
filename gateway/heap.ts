import { setFlagsFromString } from 'node:v8';

/**
 * How far the gateway's old generation may grow past what the last full collection left
 * live, in percent. V8 decides this itself, and under load it lets the heap grow to several
 * times what is live: 114 MiB live became 500-570 MiB of RSS in `npm run bench:gateway` before
 * a full collection brought it back. Almost all of a gateway's allocations are one request's
 * garbage, so a full collection is cheap, and collecting sooner bounds memory for little CPU
 * (docs/benchmarks.md has the figures). It is a soft bound: a heap whose live part grows still
 * grows with it, so it can never run out of memory where V8's own choice would not.
 */
export const defaultHeapGrowthPercent = 50;

/** Applies the bound to this process (0 leaves V8's own choice). V8 reads it at every full collection. */
export function boundHeapGrowth(percent: number): void {
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}
