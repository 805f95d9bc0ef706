// Usage: tsx pg-scans.mts <cluster dir> [reset]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
const dir = process.argv[2]!;
const port = Number(readFileSync(join(dir, 'postmaster.pid'), 'utf8').split('\n')[3]);
const password = readFileSync(join(dir, '..', 'postgresql.password'), 'utf8').trim();
const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
await client.connect();
if (process.argv[3] === 'reset') { await client.query('SELECT pg_stat_reset()'); console.log('reset'); process.exit(0); }
const names = new Map<string, string>();
const schemas = await client.query(`SELECT table_schema FROM information_schema.tables WHERE table_name = '_ferretdb_database_metadata'`);
for (const { table_schema } of schemas.rows) {
  const rows = await client.query(`SELECT _jsonb->>'_id' AS c, _jsonb->>'table' AS t FROM "${table_schema}"._ferretdb_database_metadata`);
  for (const r of rows.rows) names.set(`${table_schema}.${r.t}`, `${table_schema}.${r.c}`);
}
const stats = await client.query(`SELECT schemaname, relname, seq_scan + coalesce(idx_scan,0) AS reads, seq_tup_read, n_tup_ins, n_tup_upd, n_tup_del, n_live_tup FROM pg_stat_user_tables ORDER BY seq_scan + coalesce(idx_scan,0) + n_tup_ins + n_tup_upd + n_tup_del DESC LIMIT 40`);
console.log('     reads  seqtupread   ins   upd   del  live  collection');
for (const r of stats.rows) console.log([r.reads, r.seq_tup_read, r.n_tup_ins, r.n_tup_upd, r.n_tup_del, r.n_live_tup].map((v, i) => String(v).padStart(i < 2 ? 10 : 6)).join(''), ' ', names.get(`${r.schemaname}.${r.relname}`) ?? `${r.schemaname}.${r.relname}`);
await client.end();
