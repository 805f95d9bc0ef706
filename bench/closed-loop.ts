// What the gateway benchmarks share: callers that each send a request, wait for its answer and
// send the next (a closed loop), and the warm-up counts they read from the environment.

/** What a closed loop measured: each request's latency in ms, how many failed, and how long it ran. */
export interface LoopResult {
  latencies: number[];
  errors: number;
  seconds: number;
}

/**
 * `connections` callers sending requests until `ms` have passed or `requests` were sent in all.
 * `send` answers whether the answer was an error; a request that throws counts as one too.
 */
export async function closedLoop(connections: number, ms: number, send: () => Promise<boolean>, requests = Number.POSITIVE_INFINITY): Promise<LoopResult> {
  const latencies: number[] = [];
  let errors = 0;
  let sent = 0;
  const started = performance.now();
  const deadline = started + ms;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < deadline && sent++ < requests) {
        const t0 = performance.now();
        try {
          if (await send()) errors++;
        } catch {
          errors++;
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { latencies, errors, seconds: (performance.now() - started) / 1000 };
}

/**
 * How many requests (or orders) a benchmark sends to run the system in before it measures, from
 * the environment variable `name`: V8 compiles a process's hot paths over its first thousands of
 * requests, and a cold system measures the JIT, not the code.
 */
export function warmUpCount(name: string, fallback: number): number {
  const value = process.env[name];
  const count = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(count) || count < 0) throw new Error(`${name}=${value} must be a whole number (0 for no warm-up)`);
  return count;
}
