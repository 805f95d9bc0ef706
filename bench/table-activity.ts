import { join } from 'node:path';
import pg from 'pg';
import { runningClusterUrl } from '../scripts/postgres.ts';

// What each collection asked of the embedded PostgreSQL during a benchmark run: the table
// statistics PostgreSQL keeps (pg_stat_user_tables), named by database and collection through
// FerretDB's metadata table. Only for the embedded PostgreSQL (EMBEDDED_DB=postgresql).

export interface Activity {
  /** Scans of the table: sequential and by index (a find, or the read half of an update or delete). */
  reads: number;
  /**
   * Rows those scans read: every row a sequential scan passes (PostgreSQL hands FerretDB only those
   * that match), or each fetched through an index. On a small collection a sequential scan is the
   * cheaper plan; on a large one, many rows per read is a lookup no index serves.
   */
  rowsRead: number;
  inserted: number;
  updated: number;
  deleted: number;
}

/**
 * How long to wait after the activity before reading it: PostgreSQL 15 and later hold a busy
 * connection's table statistics until it has been idle for a second, or for up to 10 s.
 */
export const settleMs = 11_000;

/**
 * Activity by `database.collection`, from the cluster that a launcher runs in `dataDir`. A
 * collection dropped in between (an old segment of the event log) is missing from the later reading.
 */
export async function tableActivity(dataDir: string): Promise<Map<string, Activity>> {
  const client = new pg.Client({ connectionString: runningClusterUrl(join(dataDir, 'postgresql')) });
  await client.connect();
  try {
    // Read afresh, not from a snapshot this session took before (see settleMs for the delay before).
    await client.query('SELECT pg_stat_clear_snapshot()');
    const names = new Map<string, string>();
    const schemas = await client.query<{ schemaname: string }>(`SELECT DISTINCT schemaname FROM pg_tables WHERE tablename = '_ferretdb_database_metadata'`);
    for (const { schemaname } of schemas.rows) {
      const rows = await client.query<{ collection: string; table: string }>(
        `SELECT _jsonb->>'_id' AS collection, _jsonb->>'table' AS table FROM ${pg.escapeIdentifier(schemaname)}._ferretdb_database_metadata`,
      );
      // The segments of a sequenced log (events_0, events_1, ...) are one collection here.
      for (const row of rows.rows) names.set(`${schemaname}.${row.table}`, `${schemaname}.${row.collection.replace(/_\d+$/, '_N')}`);
    }
    const stats = await client.query<{ schemaname: string; relname: string; seq: string; idx: string | null; seqrows: string; idxrows: string | null; ins: string; upd: string; del: string }>(
      'SELECT schemaname, relname, seq_scan AS seq, idx_scan AS idx, seq_tup_read AS seqrows, idx_tup_fetch AS idxrows, n_tup_ins AS ins, n_tup_upd AS upd, n_tup_del AS del FROM pg_stat_user_tables',
    );
    const activity = new Map<string, Activity>();
    for (const row of stats.rows) {
      const name = names.get(`${row.schemaname}.${row.relname}`);
      if (!name) continue;
      const sum = activity.get(name) ?? { reads: 0, rowsRead: 0, inserted: 0, updated: 0, deleted: 0 };
      activity.set(name, {
        reads: sum.reads + Number(row.seq) + Number(row.idx ?? 0),
        rowsRead: sum.rowsRead + Number(row.seqrows) + Number(row.idxrows ?? 0),
        inserted: sum.inserted + Number(row.ins),
        updated: sum.updated + Number(row.upd),
        deleted: sum.deleted + Number(row.del),
      });
    }
    return activity;
  } finally {
    await client.end();
  }
}

/** after − before, busiest first, collections with no activity left out. */
export function activitySince(after: Map<string, Activity>, before: Map<string, Activity>): [string, Activity][] {
  const zero: Activity = { reads: 0, rowsRead: 0, inserted: 0, updated: 0, deleted: 0 };
  const total = (a: Activity) => a.reads + a.inserted + a.updated + a.deleted;
  return [...after]
    .map(([name, a]): [string, Activity] => {
      const b = before.get(name) ?? zero;
      return [name, { reads: a.reads - b.reads, rowsRead: a.rowsRead - b.rowsRead, inserted: a.inserted - b.inserted, updated: a.updated - b.updated, deleted: a.deleted - b.deleted }];
    })
    .filter(([, a]) => total(a) > 0)
    .sort((x, y) => total(y[1]) - total(x[1]));
}
