import type pg from 'pg';
import { REPLACE_CONFLICT } from './guarded-replace.ts';

/**
 * Lookup indexes for FerretDB 1.24 on PostgreSQL, specific to that backend.
 *
 * Services declare their indexes once, as MongoDB indexes (`createIndex`). On MongoDB that is
 * all there is. FerretDB's PostgreSQL handler turns each such declaration into a btree index on
 * `(_jsonb -> 'field')`, but it turns an equality filter into `_jsonb -> 'field' @> value`, which
 * a btree cannot serve: PostgreSQL scans the table, and a lookup grows with the collection.
 *
 * So the embedded PostgreSQL gets an event trigger: whenever FerretDB creates an index (the
 * `_id` index of every new collection, and each declared index), the trigger adds a GIN
 * expression index (`jsonb_path_ops`) on the index's lead_expr field, the form FerretDB's filters
 * use. Lookups by `_id` and by each index's lead_expr field then stay flat as collections grow.
 * Services need no PostgreSQL credentials for it, and a collection created at run time (a log
 * segment, a new database) is covered like any other. `installLookupIndexes` runs at every start
 * of the embedded PostgreSQL and also adds the GIN twin of any index that lacks one.
 *
 * FerretDB names the field in its filters as a query parameter (`_jsonb -> $1`), so only a plan
 * made for the actual values matches these indexes: the cluster runs with
 * `plan_cache_mode = force_custom_plan` (scripts/postgres.ts).
 *
 * Writes maintain only what is read (docs/benchmarks.md, "2026-12-01 (last)"):
 * - The twins are built with `fastupdate = off`. With PostgreSQL's default, a GIN index queues
 *   new entries in a pending list that every lookup reads through until a vacuum clears it. A
 *   queue's archive is mostly written and looked up by `_id` for what is not there: under
 *   `bench:pipeline` such a lookup took 0.68 ms with the list and 0.01 ms without it
 *   (pg_stat_statements). Without it, each write adds its entry to the index in place.
 * - FerretDB's own non-unique btrees are emptied: recreated under the same name with
 *   `WHERE false`, so no write maintains them. FerretDB 1.24 does not read them on PostgreSQL:
 *   its filters are `@>` (a range only for a number beyond ±2^53, which no key here is), and its
 *   only pushed-down sort is `$natural`. Yet each was updated on every write. The name stays, so
 *   FerretDB's metadata, `listIndexes` and `dropIndex` work as before. Unique btrees stay whole:
 *   they enforce uniqueness, and FerretDB's updates and deletes find a document by `_id` through
 *   the `_id` one. (The planner's statistics on a compound index's later fields went with the
 *   btree; a leading field keeps them through its twin. Only estimates change.)
 *
 * The same trigger gives every FerretDB table the guard kit/guarded-replace.ts describes: a row
 * trigger that refuses a write moving a document's `rev` on unless the row still holds the
 * revision the write names in `revOf`. PostgreSQL runs it with the row locked, so of two writers
 * that read one revision, one lands and the other is refused. Documents without `revOf`, and
 * writes that leave `rev` alone, pass untouched.
 */
const SQL = String.raw`
CREATE OR REPLACE FUNCTION ferretdb_guard_replace() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  IF NEW._jsonb ? 'revOf' AND (NEW._jsonb -> 'rev') IS DISTINCT FROM (OLD._jsonb -> 'rev')
     AND coalesce(OLD._jsonb -> 'rev', 'null'::jsonb) <> (NEW._jsonb -> 'revOf') THEN
    RAISE EXCEPTION '${REPLACE_CONFLICT}' USING ERRCODE = 'serialization_failure';
  END IF;
  RETURN NEW;
END
$fn$;

CREATE OR REPLACE FUNCTION ferretdb_guard_table(table_oid oid) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = table_oid AND tgname = 'ferretdb_guard_replace') THEN
    EXECUTE format('CREATE TRIGGER ferretdb_guard_replace BEFORE UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION ferretdb_guard_replace()', table_oid::regclass);
  END IF;
END
$fn$;

CREATE OR REPLACE FUNCTION ferretdb_lookup_index_for(index_oid oid) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  schema_name text;
  table_name text;
  index_name text;
  lead_expr text;
  is_unique boolean;
  is_partial boolean;
  definition text;
  twin text;
  table_oid oid;
BEGIN
  SELECT n.nspname, c.relname, c.oid, ic.relname, pg_get_indexdef(i.indexrelid, 1, false), i.indisunique, i.indpred IS NOT NULL
    INTO schema_name, table_name, table_oid, index_name, lead_expr, is_unique, is_partial
    FROM pg_index i
    JOIN pg_class c ON c.oid = i.indrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_am am ON am.oid = ic.relam
   WHERE i.indexrelid = index_oid AND am.amname = 'btree';
  -- Only FerretDB's collection tables: their indexes lead with an expression on _jsonb.
  IF lead_expr IS NULL OR lead_expr !~ '^\(*_jsonb ' OR ferretdb_is_metadata_table(table_name) THEN
    RETURN;
  END IF;
  PERFORM ferretdb_guard_table(table_oid);
  twin := left(table_name, 40) || '_gin_' || left(md5(lead_expr), 12);
  EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %I.%I USING gin ((%s) jsonb_path_ops) WITH (fastupdate = off)', twin, schema_name, table_name, lead_expr);
  IF NOT is_unique AND NOT is_partial THEN
    -- The same definition, with nothing in it (see above). Its CREATE INDEX comes back here, as a partial index.
    definition := pg_get_indexdef(index_oid);
    EXECUTE format('DROP INDEX %I.%I', schema_name, index_name);
    EXECUTE definition || ' WHERE false';
  END IF;
END
$fn$;

CREATE OR REPLACE FUNCTION ferretdb_is_metadata_table(table_name text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $fn$ SELECT table_name LIKE '\_ferretdb\_%' $fn$;

CREATE OR REPLACE FUNCTION ferretdb_lookup_indexes_on_create() RETURNS event_trigger
LANGUAGE plpgsql AS $fn$
DECLARE
  command record;
BEGIN
  FOR command IN SELECT objid FROM pg_event_trigger_ddl_commands() WHERE command_tag = 'CREATE INDEX' AND object_type = 'index' LOOP
    PERFORM ferretdb_lookup_index_for(command.objid);
  END LOOP;
END
$fn$;

DO $do$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'ferretdb_lookup_indexes') THEN
    CREATE EVENT TRIGGER ferretdb_lookup_indexes ON ddl_command_end WHEN TAG IN ('CREATE INDEX')
      EXECUTE FUNCTION ferretdb_lookup_indexes_on_create();
  END IF;
END
$do$;

-- Indexes made before the trigger existed, or before it did all it does now.
SELECT ferretdb_lookup_index_for(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
 WHERE c.relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace);

-- Twins built with a pending list: without it from now on, and what it holds moved into the index.
DO $do$
DECLARE
  twin record;
BEGIN
  FOR twin IN SELECT c.oid, n.nspname, c.relname FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am am ON am.oid = c.relam
     WHERE c.relkind = 'i' AND am.amname = 'gin' AND c.relname LIKE '%\_gin\_%'
       AND NOT coalesce(c.reloptions @> ARRAY['fastupdate=off'], false) LOOP
    EXECUTE format('ALTER INDEX %I.%I SET (fastupdate = off)', twin.nspname, twin.relname);
    PERFORM gin_clean_pending_list(twin.oid::regclass);
  END LOOP;
END
$do$;
`;

/** Installs the trigger (idempotent) in the database FerretDB uses. */
export async function installLookupIndexes(client: pg.Client): Promise<void> {
  await client.query(SQL);
}
