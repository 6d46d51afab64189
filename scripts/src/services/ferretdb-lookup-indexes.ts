import pg from 'pg';

/**
 * FerretDB 1.24 gap: it turns every equality filter into `_jsonb->$1 @> $2`, which the btree
 * expression indexes it creates for `createIndex` (`(_jsonb -> 'field')`) cannot serve, so every
 * lookup, `_id` included, scans the whole table: measured on 100,000 messages, 28 ms per
 * findById and 26 ms per conversation, growing with the collection. A GIN index with
 * `jsonb_path_ops` on the same expression does serve `@>`: 1.7 ms and 1.5 ms. An event trigger
 * in FerretDB's PostgreSQL database gives the first field of every index FerretDB creates such
 * an index, in every database (each test run has its own), and existing tables get theirs when
 * the services start.
 *
 * pgx prepares FerretDB's statements, and PostgreSQL switches a prepared statement to its
 * generic plan after five runs when that plan costs no more than the custom ones did; with the
 * key a parameter (`_jsonb->$1`), a generic plan can use no expression index, and a connection
 * that settled on one before the index existed kept scanning. `plan_cache_mode` is therefore set
 * to `force_custom_plan` on FerretDB's connections (`withLookupPlans`).
 *
 * Only the local FerretDB is touched: production runs MongoDB, whose indexes serve its queries.
 */

const FUNCTIONS = `
CREATE OR REPLACE FUNCTION chat_lookup_index_for(index_oid oid) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  definition text := pg_get_indexdef(index_oid);
  tbl regclass;
  field text;
BEGIN
  IF definition NOT LIKE '% USING btree %' THEN RETURN; END IF;
  SELECT indrelid::regclass INTO tbl FROM pg_index WHERE indexrelid = index_oid;
  -- The index's first field only: what a lookup names (a compound index's later fields are
  -- filtered after it), and each GIN index is paid for by every insert.
  field := substring(definition from '_jsonb -> ''([A-Za-z0-9_]+)''::text');
  IF field IS NULL THEN RETURN; END IF;
  EXECUTE format(
    'CREATE INDEX IF NOT EXISTS %I ON %s USING gin ((_jsonb -> %L) jsonb_path_ops)',
    'lookup_' || substr(md5(tbl::oid::text || ':' || field), 1, 20), tbl, field);
END;
$fn$;

CREATE OR REPLACE FUNCTION chat_lookup_indexes_on_create() RETURNS event_trigger LANGUAGE plpgsql AS $fn$
DECLARE
  created record;
BEGIN
  FOR created IN SELECT objid FROM pg_event_trigger_ddl_commands() WHERE object_type = 'index' LOOP
    PERFORM chat_lookup_index_for(created.objid);
  END LOOP;
END;
$fn$;
`;

const TRIGGER = 'chat_lookup_indexes';

/** Installs the trigger (idempotent) and gives existing FerretDB tables their lookup indexes. */
export async function installLookupIndexes(postgresUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(FUNCTIONS);
    const existing = await client.query('SELECT 1 FROM pg_event_trigger WHERE evtname = $1', [TRIGGER]);
    if (existing.rowCount === 0) {
      await client.query(
        `CREATE EVENT TRIGGER ${TRIGGER} ON ddl_command_end WHEN TAG IN ('CREATE INDEX') EXECUTE FUNCTION chat_lookup_indexes_on_create()`,
      );
    }
    // Tables FerretDB created before the trigger existed (a developer's earlier `npm start`).
    await client.query(`
      SELECT chat_lookup_index_for(i.indexrelid)
      FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND pg_get_indexdef(i.indexrelid) LIKE '% USING btree %(_jsonb -> %'`);
  } finally {
    await client.end();
  }
}

/** FerretDB's PostgreSQL URL with custom plans forced on its connections (see above). */
export function withLookupPlans(postgresUrl: string): string {
  const url = new URL(postgresUrl);
  if (!url.searchParams.has('plan_cache_mode')) url.searchParams.set('plan_cache_mode', 'force_custom_plan');
  return url.toString();
}
