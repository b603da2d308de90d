"""The catalog a Redshift endpoint client sees: views in `dwsim_catalog` over PostgreSQL's
catalogs, limited to what the session's role may use, with the experiment's schema named
`public` (as its tables are named through the endpoint) and Redshift's own catalog views
(`pg_table_def`, `svv_tables`, `svv_columns`) built on them.

The views belong to the privileged owner, so a reader role (which may not read pg_catalog
itself) sees its own experiment's tables, pg_catalog's types and functions, and nothing of the
other experiments. Versioned like the compat pack.
"""

from __future__ import annotations

from typing import Any

SCHEMA = "dwsim_catalog"
VERSION = 6
_LOCK_KEY = 0x6477_6361  # "dwca"
# A schema a session may use and that holds an experiment's tables: its own live schema.
_OWN = (
    "has_schema_privilege(n.oid, 'USAGE') AND n.nspname LIKE 'dwsim\\_%' "
    "AND n.nspname NOT IN ('dwsim_compat', 'dwsim_catalog')"
)
_VIEWS = f"""
-- The database as the client named it (the endpoint sets dwsim.database at login): tools match
-- relations by it. SECURITY DEFINER: current_setting is not PUBLIC's in the mock.
CREATE FUNCTION {SCHEMA}.database_name() RETURNS text LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog
  AS $$SELECT COALESCE(NULLIF(current_setting('dwsim.database', true), ''),
                       current_database())::text$$;
-- pg_get_viewdef reads pg_rewrite, which readers may not: through its owner, for the views
-- the reader sees (the views view lists only those).
CREATE FUNCTION {SCHEMA}.view_definition(oid) RETURNS text LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog AS $$SELECT pg_get_viewdef($1)$$;
CREATE VIEW {SCHEMA}.pg_namespace AS
  SELECT n.oid, (CASE WHEN n.nspname LIKE 'dwsim\\_\\_ws\\_%' THEN 'workspace'
                      WHEN {_OWN} THEN 'public' ELSE n.nspname END)::name AS nspname,
         n.nspowner, NULL::aclitem[] AS nspacl
  FROM pg_catalog.pg_namespace n
  WHERE n.nspname = 'pg_catalog' OR ({_OWN}) OR n.oid = pg_my_temp_schema();
-- Redshift's reldiststyle: 0 (EVEN), as svv_table_info's diststyle says; the mock keeps no
-- distribution of its own.
CREATE VIEW {SCHEMA}.pg_class AS
  SELECT c.*, 0::int AS reldiststyle FROM pg_catalog.pg_class c
  WHERE c.relnamespace IN (SELECT oid FROM {SCHEMA}.pg_namespace)
    AND (c.relnamespace = 'pg_catalog'::regnamespace OR has_table_privilege(c.oid, 'SELECT'));
CREATE VIEW {SCHEMA}.pg_attribute AS
  SELECT a.attrelid, a.attname, a.atttypid, a.attlen, a.attnum, a.atttypmod, a.attndims,
         a.attbyval, a.attalign, a.attstorage, a.attnotnull, a.atthasdef, a.attidentity,
         a.attgenerated, a.attisdropped, a.attislocal, a.attinhcount, a.attcollation,
         false AS attisdistkey, 0::int AS attsortkeyord, 0::smallint AS attencodingtype
  FROM pg_catalog.pg_attribute a
  WHERE a.attrelid IN (SELECT oid FROM {SCHEMA}.pg_class);
CREATE VIEW {SCHEMA}.pg_type AS
  SELECT t.* FROM pg_catalog.pg_type t
  WHERE t.typnamespace IN (SELECT oid FROM {SCHEMA}.pg_namespace);
CREATE VIEW {SCHEMA}.pg_index AS
  SELECT i.* FROM pg_catalog.pg_index i WHERE i.indrelid IN (SELECT oid FROM {SCHEMA}.pg_class);
CREATE VIEW {SCHEMA}.pg_constraint AS
  SELECT k.* FROM pg_catalog.pg_constraint k
  WHERE k.connamespace IN (SELECT oid FROM {SCHEMA}.pg_namespace);
CREATE VIEW {SCHEMA}.pg_attrdef AS
  SELECT d.*, pg_get_expr(d.adbin, d.adrelid) AS adsrc
  FROM pg_catalog.pg_attrdef d WHERE d.adrelid IN (SELECT oid FROM {SCHEMA}.pg_class);
CREATE VIEW {SCHEMA}.pg_description AS
  SELECT d.* FROM pg_catalog.pg_description d
  WHERE d.classoid = 'pg_catalog.pg_class'::regclass
    AND d.objoid IN (SELECT oid FROM {SCHEMA}.pg_class);
CREATE VIEW {SCHEMA}.pg_rewrite AS
  SELECT r.oid, r.rulename, r.ev_class, r.ev_type, r.ev_enabled, r.is_instead
  FROM pg_catalog.pg_rewrite r WHERE r.ev_class IN (SELECT oid FROM {SCHEMA}.pg_class);
CREATE VIEW {SCHEMA}.pg_depend AS
  SELECT d.* FROM pg_catalog.pg_depend d
  WHERE d.classid = 'pg_catalog.pg_rewrite'::regclass
    AND d.objid IN (SELECT oid FROM {SCHEMA}.pg_rewrite)
    AND d.refobjid IN (SELECT oid FROM {SCHEMA}.pg_class);
CREATE VIEW {SCHEMA}.pg_proc AS
  SELECT p.* FROM pg_catalog.pg_proc p WHERE p.pronamespace = 'pg_catalog'::regnamespace;
CREATE VIEW {SCHEMA}.pg_tables AS
  SELECT n.nspname AS schemaname, c.relname AS tablename, NULL::name AS tableowner,
         NULL::name AS tablespace, false AS hasindexes, false AS hasrules,
         false AS hastriggers, false AS rowsecurity
  FROM {SCHEMA}.pg_class c JOIN {SCHEMA}.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p') AND n.nspname <> 'pg_catalog';
CREATE VIEW {SCHEMA}.pg_views AS
  SELECT n.nspname AS schemaname, c.relname AS viewname, NULL::name AS viewowner,
         NULL::text AS definition
  FROM {SCHEMA}.pg_class c JOIN {SCHEMA}.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind = 'v' AND n.nspname <> 'pg_catalog';
CREATE VIEW {SCHEMA}.schemata AS
  SELECT {SCHEMA}.database_name() AS catalog_name, nspname::text AS schema_name,
         NULL::text AS schema_owner
  FROM {SCHEMA}.pg_namespace;
CREATE VIEW {SCHEMA}.tables AS
  SELECT {SCHEMA}.database_name() AS table_catalog, schemaname::text AS table_schema,
         tablename::text AS table_name, 'BASE TABLE'::text AS table_type
  FROM {SCHEMA}.pg_tables
  UNION ALL
  SELECT {SCHEMA}.database_name(), schemaname::text, viewname::text, 'VIEW'::text
  FROM {SCHEMA}.pg_views;
CREATE VIEW {SCHEMA}.columns AS
  SELECT {SCHEMA}.database_name() AS table_catalog, n.nspname::text AS table_schema,
         c.relname::text AS table_name, a.attname::text AS column_name,
         a.attnum::int AS ordinal_position, NULL::text AS column_default,
         (CASE WHEN a.attnotnull THEN 'NO' ELSE 'YES' END)::text AS is_nullable,
         format_type(a.atttypid, NULL)::text AS data_type,
         (CASE WHEN a.atttypid IN (1042, 1043) AND a.atttypmod > 4 THEN a.atttypmod - 4 END)::int
           AS character_maximum_length,
         (CASE WHEN a.atttypid = 1700 AND a.atttypmod > 4
               THEN ((a.atttypmod - 4) >> 16) & 65535 END)::int AS numeric_precision,
         (CASE WHEN a.atttypid = 1700 AND a.atttypmod > 4
               THEN (a.atttypmod - 4) & 65535 END)::int AS numeric_scale,
         format_type(a.atttypid, NULL)::text AS udt_name
  FROM {SCHEMA}.pg_attribute a
  JOIN {SCHEMA}.pg_class c ON c.oid = a.attrelid
  JOIN {SCHEMA}.pg_namespace n ON n.oid = c.relnamespace
  WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v')
    AND n.nspname <> 'pg_catalog';
CREATE VIEW {SCHEMA}.views AS
  SELECT {SCHEMA}.database_name() AS table_catalog, n.nspname::text AS table_schema,
         c.relname::text AS table_name, {SCHEMA}.view_definition(c.oid) AS view_definition,
         'NONE'::text AS check_option, 'NO'::text AS is_updatable,
         'NO'::text AS is_insertable_into
  FROM {SCHEMA}.pg_class c JOIN {SCHEMA}.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind = 'v' AND n.nspname <> 'pg_catalog';
CREATE VIEW {SCHEMA}.svv_tables AS
  SELECT table_catalog, table_schema, table_name, table_type, NULL::text AS remarks
  FROM {SCHEMA}.tables;
CREATE VIEW {SCHEMA}.svv_columns AS
  SELECT table_catalog, table_schema, table_name, column_name, ordinal_position,
         column_default, is_nullable, data_type, character_maximum_length,
         numeric_precision, numeric_scale, NULL::text AS remarks
  FROM {SCHEMA}.columns;
CREATE VIEW {SCHEMA}.pg_table_def AS
  SELECT table_schema::name AS schemaname, table_name::name AS tablename,
         column_name::name AS "column", format_type(a.atttypid, a.atttypmod)::text AS type,
         'none'::text AS encoding, false AS distkey, 0 AS sortkey, a.attnotnull AS notnull
  FROM {SCHEMA}.columns col
  JOIN {SCHEMA}.pg_class c ON c.relname = col.table_name
  JOIN {SCHEMA}.pg_attribute a ON a.attrelid = c.oid AND a.attname = col.column_name;
CREATE VIEW {SCHEMA}.pg_collation AS SELECT * FROM pg_catalog.pg_collation;
-- The session's own user, and the owners of the relations it sees by name only (tools join
-- pg_class.relowner to it): no attribute of another role.
CREATE VIEW {SCHEMA}.pg_user AS
  SELECT u.* FROM pg_catalog.pg_user u WHERE u.usename = current_user
  UNION ALL
  SELECT u.usename, u.usesysid, NULL, NULL, NULL, NULL, '********'::text, NULL, NULL
  FROM pg_catalog.pg_user u
  WHERE u.usename <> current_user
    AND u.usesysid IN (SELECT relowner FROM {SCHEMA}.pg_class
                       WHERE relnamespace <> 'pg_catalog'::regnamespace);
-- Functions the endpoint calls for pg_catalog's of the same name (which read catalogs the
-- reader may not): SECURITY INVOKER, so they answer only for the relations it sees.
CREATE FUNCTION {SCHEMA}.pg_get_viewdef(oid, boolean DEFAULT false) RETURNS text
  LANGUAGE sql STABLE
  AS $$SELECT {SCHEMA}.view_definition(c.oid) FROM {SCHEMA}.pg_class c
       WHERE c.oid = $1 AND c.relkind IN ('v', 'm')$$;
CREATE FUNCTION {SCHEMA}.col_description(oid, integer) RETURNS text LANGUAGE sql STABLE
  AS $$SELECT d.description FROM {SCHEMA}.pg_description d
       WHERE d.objoid = $1 AND d.objsubid = $2$$;
-- A constraint's definition with the referenced table's schema as the session names it
-- (`workspace.t`, not the physical schema).
CREATE FUNCTION {SCHEMA}.pg_get_constraintdef(oid, boolean DEFAULT false) RETURNS text
  LANGUAGE sql STABLE
  AS $$SELECT CASE WHEN r.oid IS NULL THEN pg_catalog.pg_get_constraintdef(k.oid, $2)
                   ELSE replace(pg_catalog.pg_get_constraintdef(k.oid, $2),
                                ' ' || r.relnamespace::regnamespace::text || '.',
                                ' ' || quote_ident(n.nspname) || '.') END
       FROM {SCHEMA}.pg_constraint k
       LEFT JOIN {SCHEMA}.pg_class r ON r.oid = k.confrelid
       LEFT JOIN {SCHEMA}.pg_namespace n ON n.oid = r.relnamespace
       WHERE k.oid = $1$$;
-- Redshift's name of a column's compression encoding: the mock stores none (0).
CREATE FUNCTION {SCHEMA}.format_encoding(integer) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$SELECT CASE WHEN $1 = 0 THEN 'none' END$$;
-- Redshift Spectrum's catalogs: the mock has no external tables, and says so.
CREATE VIEW {SCHEMA}.svv_external_schemas AS
  SELECT NULL::oid AS esoid, NULL::int AS eskind, NULL::name AS schemaname,
         NULL::int AS esowner, NULL::text AS databasename, NULL::text AS esoptions WHERE false;
CREATE VIEW {SCHEMA}.svv_external_tables AS
  SELECT NULL::name AS schemaname, NULL::name AS tablename, NULL::text AS location,
         NULL::text AS input_format, NULL::text AS output_format,
         NULL::text AS serialization_lib, NULL::text AS serde_parameters,
         NULL::int AS compressed, NULL::text AS parameters WHERE false;
CREATE VIEW {SCHEMA}.svv_external_columns AS
  SELECT NULL::name AS schemaname, NULL::name AS tablename, NULL::name AS columnname,
         NULL::text AS external_type, NULL::int AS columnnum, NULL::int AS part_key,
         NULL::text AS is_nullable WHERE false;
-- What Redshift's SVV_TABLE_INFO tells of a table, as far as PostgreSQL knows it (sizes and
-- row counts are the planner's statistics: the size functions are not the reader's).
CREATE VIEW {SCHEMA}.svv_table_info AS
  SELECT {SCHEMA}.database_name() AS database, n.nspname::text AS schema, c.oid AS table_id,
         c.relname::text AS "table", 'N'::char(1) AS encoded, 'EVEN'::text AS diststyle,
         NULL::text AS sortkey1, 0 AS max_varchar, NULL::char(1) AS sortkey1_enc,
         0 AS sortkey_num, (c.relpages::bigint * 8192 / 1048576)::bigint AS size,
         0::numeric(10, 4) AS pct_used, 0::numeric(10, 4) AS empty, NULL::numeric AS unsorted,
         NULL::numeric AS stats_off, GREATEST(c.reltuples, 0)::numeric(38, 0) AS tbl_rows,
         NULL::numeric(10, 4) AS skew_sortkey1, NULL::numeric(10, 4) AS skew_rows,
         GREATEST(c.reltuples, 0)::numeric(38, 0) AS estimated_visible_rows,
         'AUTO(EVEN)'::text AS risk_event, NULL::text AS vacuum_sort_benefit
  FROM {SCHEMA}.pg_class c JOIN {SCHEMA}.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p') AND n.nspname <> 'pg_catalog';
-- Late-binding views: the mock's views are bound, so the function answers none.
CREATE FUNCTION {SCHEMA}.pg_get_late_binding_view_cols() RETURNS SETOF record
  LANGUAGE sql STABLE
  AS 'SELECT NULL::name, NULL::name, NULL::name, NULL::varchar, NULL::int WHERE false';
-- The query and load history are not kept by the mock: empty, with Redshift's columns.
CREATE VIEW {SCHEMA}.stl_load_errors AS
  SELECT NULL::int AS userid, NULL::int AS slice, NULL::int AS tbl,
         NULL::timestamp AS starttime, NULL::int AS session, NULL::int AS query,
         NULL::char(256) AS filename, NULL::bigint AS line_number,
         NULL::char(127) AS colname, NULL::char(10) AS type, NULL::char(10) AS col_length,
         NULL::int AS position, NULL::char(1024) AS raw_line, NULL::char(1024) AS raw_field_value,
         NULL::int AS err_code, NULL::char(100) AS err_reason WHERE false;
CREATE VIEW {SCHEMA}.stl_query AS
  SELECT NULL::int AS userid, NULL::int AS query, NULL::char(15) AS label,
         NULL::bigint AS xid, NULL::int AS pid, NULL::char(32) AS database,
         NULL::char(4000) AS querytxt, NULL::timestamp AS starttime,
         NULL::timestamp AS endtime, NULL::int AS aborted WHERE false;
CREATE VIEW {SCHEMA}.stv_recents AS
  SELECT NULL::int AS userid, NULL::char(20) AS status, NULL::timestamp AS starttime,
         NULL::bigint AS duration, NULL::char(50) AS user_name, NULL::char(50) AS db_name,
         NULL::char(600) AS query, NULL::int AS pid WHERE false;
GRANT USAGE ON SCHEMA {SCHEMA} TO PUBLIC;
GRANT SELECT ON ALL TABLES IN SCHEMA {SCHEMA} TO PUBLIC;
CREATE VIEW {SCHEMA}.catalog_version AS SELECT {VERSION} AS version;
"""
# Names a client may read, with the qualifier it may use; anything else of the catalogs is
# refused by name.
VIEWS = frozenset({
    "pg_namespace", "pg_class", "pg_attribute", "pg_type", "pg_index", "pg_constraint",
    "pg_attrdef", "pg_description", "pg_proc", "pg_tables", "pg_views", "svv_tables",
    "svv_columns", "pg_table_def", "pg_collation", "pg_user", "svv_external_schemas",
    "svv_external_tables", "svv_external_columns", "svv_table_info", "stl_load_errors",
    "stl_query", "stv_recents", "pg_rewrite", "pg_depend",
})  # fmt: skip
INFORMATION_SCHEMA = frozenset({"schemata", "tables", "columns", "views"})
# pg_catalog's functions a client may call that the endpoint answers with the catalog's own
# (bare or `pg_catalog.`-qualified): pg_catalog's read catalogs the reader may not.
FUNCTIONS = frozenset({
    "pg_get_viewdef", "col_description", "format_encoding", "pg_get_constraintdef",
})  # fmt: skip


def install_catalog(cursor: Any) -> bool:
    """Create or upgrade the views inside the caller's transaction; True when it did."""
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
    cursor.execute(
        "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relname = 'catalog_version'",
        (SCHEMA,),
    )
    if cursor.fetchone() is not None:
        cursor.execute(f"SELECT version FROM {SCHEMA}.catalog_version")
        row = cursor.fetchone()
        if row and row[0] == VERSION:
            return False
    cursor.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    cursor.execute(f"CREATE SCHEMA {SCHEMA}")
    cursor.execute(_VIEWS)
    return True
