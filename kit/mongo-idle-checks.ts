import type { MongoClient } from 'mongodb';

/**
 * How often each connection pool of a process's client looks over its connections, instead of
 * the driver's 100 ms.
 *
 * Driver 6.22 re-arms a timer every `minPoolSizeCheckFrequencyMS` (100 ms, an internal
 * setting its options parser refuses) on every pool, whatever the minimum size. With no minimum
 * and no idle limit (ours: neither is set), each pass only drops connections that are closed or
 * from before the pool was cleared, and a checkout drops those itself before using one. Yet every
 * pass wakes the process: on this project's 2-core machine a wake-up costs about 0.25 ms of CPU,
 * so an idle client took 5.7 ms of CPU a second, and about 0.9 with a pass every 10 s
 * (`/proc/<pid>/task/<tid>/schedstat`, one idle client of the embedded FerretDB). With twenty
 * Node.js processes that was a tenth of a core, idle or busy (docs/benchmarks.md).
 */
export const POOL_CHECK_MS = 10_000;

/**
 * Sets the pools' check interval on a client not yet connected (its pools are made on connect,
 * from these options). Should a driver upgrade stop honouring it, `kit/mongo-idle-checks.test.ts`
 * fails (it counts the passes), rather than every process silently paying for them again.
 */
export function slowIdlePoolChecks(client: MongoClient, everyMs = POOL_CHECK_MS): void {
  const options = client.options as unknown as Record<string, unknown>;
  if (!Object.isFrozen(options)) options.minPoolSizeCheckFrequencyMS = everyMs;
}
