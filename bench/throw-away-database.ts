import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFerretDb, type RunningDatabase } from '../scripts/ferretdb.ts';

/**
 * Runs `body` on the embedded database as the system runs it, in a data folder of its own, and
 * stops and removes both after, also when `body` fails: for benchmarks of one part, without the
 * whole system.
 */
export async function withThrowAwayDatabase<T>(name: string, body: (database: RunningDatabase, dataDir: string) => Promise<T>): Promise<T> {
  const dataDir = mkdtempSync(join(tmpdir(), `fulfilment-${name}-`));
  const database = await startFerretDb({ dataDir });
  try {
    return await body(database, dataDir);
  } finally {
    await database.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Runs a benchmark's `main`: a failure prints its stack and exits 1. */
export function runBenchmark(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
