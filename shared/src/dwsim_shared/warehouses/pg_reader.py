"""Least privilege in the Redshift mock: queries log in as a reader role of their experiment.

Each experiment's live schema has its own login role (`dwsim_q_<hash>`), created by the
loader's privileged connection, with `USAGE` on that schema and `SELECT` on its tables and
nothing else: no other schema, no temporary tables, no catalog views that list other
experiments or sessions, and none of the functions that read files, settings, other sessions or
control the server (revoked from PUBLIC in the mock's database; superusers keep them). So even
SQL that slipped past the query pipeline's checks can read only its own experiment.

The role's password is derived from the privileged URL (an HMAC), so the loader and the query
service agree on it without storing it anywhere.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlparse

import psycopg2
import psycopg2.errors
from psycopg2 import sql as pgsql

READER_PREFIX = "dwsim_q_"
READER_COMMENT = "dwsim reader of "  # + "<database>/<schema>": roles outlive their databases
_HARDEN_LOCK = 0x6477_7369_6E  # "dwsin": the hardening of one mock database at a time
# pg_catalog functions that reach outside one experiment's tables, as LIKE patterns.
REVOKED_FUNCTIONS = (
    "pg_sleep%", "set_config", "current_setting", "pg_settings_%", "pg_show_%",
    "pg_reload_conf", "pg_rotate_logfile%", "pg_switch_wal", "pg_create_%", "pg_drop_%",
    "pg_backup_%", "pg_%_backup", "pg_promote", "pg_terminate_backend", "pg_cancel_backend",
    "pg_read_%", "pg_ls_%", "pg_stat_file", "lo\\_%", "pg_stat_%", "%to\\_xml%",
    "%to\\_xmlschema", "inet_server_%", "inet_client_%", "pg_postmaster_start_time",
    "pg_conf_load_time", "pg_current_logfile%", "%advisory%", "pg_notify",
    "pg_listening_channels", "pg_logical_%", "pg_replication_%", "pg_%_size", "pg_size_%",
    "pg_relation_file%", "pg_log_backend_memory_contexts", "pg_export_snapshot",
    "pg_wal_%", "pg_last_%", "pg_current_wal%", "pg_walfile%", "pg_get_wal%", "pg_control_%",
    "pg_get_replication_slots", "pg_get_backend_memory_contexts", "pg_get_shmem_allocations",
    "pg_hba_file_rules", "pg_ident_file_mappings", "pg_tablespace_location", "pg_import_%",
    "dblink%", "pg_file_%", "pg_blocking_pids", "pg_safe_snapshot_blocking_pids",
    "pg_get_object_address", "pg_identify_object%", "pg_describe_object", "txid_%",
    "pg_current_xact_id%", "pg_xact_%", "pg_snapshot_%", "pg_visible_in_snapshot",
    "pg_jit_available", "pg_get_catalog_foreign_keys", "pg_options_to_table",
)  # fmt: skip
_HARDEN = """
DO $harden$
DECLARE f regprocedure;
BEGIN
    FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
             JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = 'pg_catalog' AND p.proname LIKE ANY (%(patterns)s)
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %%s FROM PUBLIC', f);
    END LOOP;
END
$harden$;
REVOKE SELECT ON ALL TABLES IN SCHEMA pg_catalog FROM PUBLIC;
REVOKE USAGE ON SCHEMA information_schema FROM PUBLIC;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
"""


def reader_role(database: str, schema: str) -> str:
    """The login role of one schema; roles are cluster-wide, so the database is part of it."""
    digest = hashlib.sha256(f"{database}/{schema}".encode()).hexdigest()[:32]
    return READER_PREFIX + digest


def reader_password(admin_url: str, role: str) -> str:
    return hmac.new(admin_url.encode(), role.encode(), hashlib.sha256).hexdigest()


def database_of(url: str) -> str:
    return urlparse(url).path.lstrip("/") or "postgres"


def harden_database(conn: psycopg2.extensions.connection) -> None:
    """Take away from PUBLIC what a reader must not reach (idempotent; superusers unaffected)."""
    with conn.cursor() as cur:
        # Concurrent GRANT/REVOKE on one catalog row fail ("tuple concurrently updated"):
        # one preparer at a time, and only while something is left to take away.
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (_HARDEN_LOCK,))
        cur.execute(
            "SELECT has_table_privilege('public', 'pg_catalog.pg_class', 'SELECT') "
            "OR has_function_privilege('public', 'pg_catalog.pg_sleep(double precision)', "
            "'EXECUTE') OR has_function_privilege('public', "
            "'pg_catalog.table_to_xml(regclass, boolean, boolean, text)', 'EXECUTE')"
        )
        row = cur.fetchone()
        if row is not None and not row[0]:
            return
        cur.execute(_HARDEN, {"patterns": list(REVOKED_FUNCTIONS)})
        database = pgsql.Identifier(conn.info.dbname)
        cur.execute(pgsql.SQL("REVOKE TEMPORARY ON DATABASE {} FROM PUBLIC").format(database))


# Concurrent queries one experiment may run on the mock (its reader role's connection limit).
READER_CONNECTION_LIMIT = 20


def grant_reader(
    conn: psycopg2.extensions.connection, admin_url: str, schema: str, hidden: list[str]
) -> str:
    """Create (or refresh) the schema's reader role with SELECT on its tables but `hidden`."""
    role = reader_role(conn.info.dbname, schema)
    password = reader_password(admin_url, role)
    ident, schema_ident = pgsql.Identifier(role), pgsql.Identifier(schema)
    options = pgsql.SQL(
        "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION "
        f"CONNECTION LIMIT {READER_CONNECTION_LIMIT} PASSWORD {{}}"
    ).format(pgsql.Literal(password))
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
        verb = "ALTER" if cur.fetchone() else "CREATE"
        cur.execute(pgsql.SQL(verb + " ROLE {} WITH {}").format(ident, options))
        comment = f"{READER_COMMENT}{conn.info.dbname}/{schema}"
        cur.execute(pgsql.SQL("COMMENT ON ROLE {} IS {}").format(ident, pgsql.Literal(comment)))
        cur.execute(pgsql.SQL("ALTER ROLE {} SET default_transaction_read_only = on").format(ident))
        # Memory per sort/hash node and disk spill per session: a runaway join is bounded
        # in both until statement_timeout stops it.
        cur.execute(pgsql.SQL("ALTER ROLE {} SET work_mem = '64MB'").format(ident))
        cur.execute(pgsql.SQL("ALTER ROLE {} SET temp_file_limit = '1GB'").format(ident))
        cur.execute(pgsql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema_ident, ident))
        cur.execute(
            pgsql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(schema_ident, ident)
        )
        for table in hidden:
            cur.execute(
                pgsql.SQL("REVOKE ALL ON {}.{} FROM {}").format(
                    schema_ident, pgsql.Identifier(table), ident
                )
            )
    return role


def endpoint_role(reader: str) -> str:
    """The login role the Redshift endpoint's sessions of one experiment use (`reader` + `_e`):
    its connection limit is the endpoint's, apart from the REST path's; each session then runs
    as `reader` (the startup parameter `role`), so it owns and reads what the reader does."""
    return reader + "_e"


def grant_endpoint(
    conn: psycopg2.extensions.connection, admin_url: str, schema: str, limit: int
) -> str:
    """Create (or refresh) the endpoint's login role of the schema's reader: a member of it
    with no privileges of its own (NOINHERIT), at most `limit` sessions at once."""
    reader = reader_role(conn.info.dbname, schema)
    role = endpoint_role(reader)
    ident = pgsql.Identifier(role)
    options = pgsql.SQL(
        "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION "
        f"CONNECTION LIMIT {int(limit)} PASSWORD {{}}"
    ).format(pgsql.Literal(reader_password(admin_url, role)))
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
        verb = "ALTER" if cur.fetchone() else "CREATE"
        cur.execute(pgsql.SQL(verb + " ROLE {} WITH {}").format(ident, options))
        comment = f"{READER_COMMENT}{conn.info.dbname}/{schema}"
        cur.execute(pgsql.SQL("COMMENT ON ROLE {} IS {}").format(ident, pgsql.Literal(comment)))
        cur.execute(pgsql.SQL("GRANT {} TO {}").format(pgsql.Identifier(reader), ident))
        # Per login role, like the reader's: the session's bounds whatever role it runs as.
        cur.execute(pgsql.SQL("ALTER ROLE {} SET work_mem = '64MB'").format(ident))
        cur.execute(pgsql.SQL("ALTER ROLE {} SET temp_file_limit = '1GB'").format(ident))
    return role


def grant_workspace(conn: psycopg2.extensions.connection, role: str, workspace: str) -> None:
    """The experiment's workspace schema (created when missing), where its role may create
    tables and views and write them; and temporary tables, which tools such as dbt use."""
    ident, ws = pgsql.Identifier(role), pgsql.Identifier(workspace)
    with conn.cursor() as cur:
        cur.execute(pgsql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(ws))
        cur.execute(pgsql.SQL("GRANT USAGE, CREATE ON SCHEMA {} TO {}").format(ws, ident))
        cur.execute(
            pgsql.SQL("GRANT TEMPORARY ON DATABASE {} TO {}").format(
                pgsql.Identifier(conn.info.dbname), ident
            )
        )


def drop_reader(conn: psycopg2.extensions.connection, schema: str) -> None:
    role = reader_role(conn.info.dbname, schema)
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (endpoint_role(role),))
        if cur.fetchone():
            cur.execute(pgsql.SQL("DROP ROLE {}").format(pgsql.Identifier(endpoint_role(role))))
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
        if cur.fetchone():
            cur.execute(pgsql.SQL("DROP OWNED BY {}").format(pgsql.Identifier(role)))
            cur.execute(pgsql.SQL("DROP ROLE {}").format(pgsql.Identifier(role)))
