import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensureFerretDb, startFerretDb, type RunningDatabase } from '../scripts/ferretdb.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    mongoUri: string;
    /** Which storage the embedded FerretDB runs on; 'external' for MONGODB_URI. */
    embeddedDb: 'postgresql' | 'sqlite' | 'external';
    /** The embedded PostgreSQL under FerretDB, for tests of what kit/postgres-indexes.ts does there; '' otherwise. */
    postgresUrl: string;
  }
}

let database: RunningDatabase | undefined;
let dataDir: string | undefined;

/**
 * Uses MONGODB_URI when set; otherwise builds (once) and starts the embedded FerretDB in a
 * temporary folder, on its private PostgreSQL (or SQLite with EMBEDDED_DB=sqlite).
 */
export async function setup(project: TestProject) {
  if (process.env.MONGODB_URI) {
    project.provide('mongoUri', process.env.MONGODB_URI);
    project.provide('embeddedDb', 'external');
    project.provide('postgresUrl', '');
    return;
  }
  ensureFerretDb((message) => process.stderr.write(`[test setup] ${message}\n`));
  dataDir = mkdtempSync(join(tmpdir(), 'fulfilment-test-db-'));
  database = await startFerretDb({ dataDir });
  process.stderr.write(`[test setup] FerretDB on ${database.handler} at ${database.uri}\n`);
  project.provide('mongoUri', database.uri);
  project.provide('embeddedDb', database.handler);
  project.provide('postgresUrl', database.postgresUrl ?? '');
}

export async function teardown() {
  await database?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}
