import type pg from 'pg';

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
 */
const SQL = String.raw`
CREATE OR REPLACE FUNCTION ferretdb_lookup_index_for(index_oid oid) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  table_oid oid;
  schema_name text;
  table_name text;
  lead_expr text;
  twin text;
BEGIN
  SELECT i.indrelid, n.nspname, c.relname, pg_get_indexdef(i.indexrelid, 1, false)
    INTO table_oid, schema_name, table_name, lead_expr
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
  twin := left(table_name, 40) || '_gin_' || left(md5(lead_expr), 12);
  EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %I.%I USING gin ((%s) jsonb_path_ops)', twin, schema_name, table_name, lead_expr);
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

-- Indexes made before the trigger existed.
SELECT ferretdb_lookup_index_for(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
 WHERE c.relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace);
`;

/** Installs the trigger (idempotent) in the database FerretDB uses. */
export async function installLookupIndexes(client: pg.Client): Promise<void> {
  await client.query(SQL);
}
