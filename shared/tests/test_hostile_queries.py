"""Hostile SQL sent straight to each engine's query connection, bypassing the query pipeline's
checks: every statement is refused or stopped at the time limit, the engine answers the next
query normally, and nothing changes in this experiment or another one."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from dwsim_shared.errors import BadRequest, NotFound, QueryTimeout
from dwsim_shared.experiment_checks import parse_experiment
from dwsim_shared.generation import generate_shard, write_shard_parquet
from dwsim_shared.settings import Settings
from dwsim_shared.testing.fixtures import snowflake_settings
from dwsim_shared.warehouses import Warehouse, make_warehouse
from dwsim_shared.warehouses.base import ShardRef
from dwsim_shared.warehouses.snowflake_guard import check_engine_sql

LIMIT_S = 2.0
ROWS = {"attacker": 3_000, "victim": 40}
CROSS = "SELECT SUM(a.id + b.id + c.id + d.id) FROM {t} a, {t} b, {t} c, {t} d"
RECURSIVE = "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT COUNT(*) FROM r"
# {t}: the attacker's own table, {v}: the victim's (SQLite: the same name in another file, so
# only writes to it are listed), {ledger}: the attacker's load ledger.
COMMON = [
    "DELETE FROM {t}", "DELETE FROM {v}", "UPDATE {v} SET id = 0", "INSERT INTO {t} VALUES (1)",
    "DROP TABLE {v}", "CREATE TABLE made_here (a INT)",
    "SELECT * FROM {ledger}", CROSS, RECURSIVE,
]  # fmt: skip
HOSTILE = {
    "redshift": [
        *COMMON,
        "SELECT * FROM {v}",
        "WITH d AS (DELETE FROM {v} RETURNING *) SELECT * FROM d",
        "SELECT * INTO made_here FROM {t}",
        "CREATE TEMP TABLE made_here AS SELECT 1",
        "DROP SCHEMA \"dwsim_victim\" CASCADE",
        "SELECT table_to_xml('{v_text}', true, false, '')",
        "SELECT schema_to_xml('dwsim_victim', true, false, '')",
        "SELECT query_to_xml_and_xmlschema('select * from {v_text}', true, false, '')",
        "SELECT query_to_xml('select 1', true, false, '')",
        "SELECT a.query FROM (WITH pg_stat_activity AS (SELECT 1 AS x) SELECT x FROM "
        "pg_stat_activity) s, pg_stat_activity a",
        "SELECT rolpassword FROM pg_authid", "SELECT * FROM pg_settings",
        "SELECT schemaname, tablename FROM pg_tables", "SELECT relname FROM pg_class",
        "SELECT table_schema FROM information_schema.tables",
        "SELECT current_setting('data_directory')",
        "SELECT set_config('statement_timeout', '0', false)",
        "SELECT pg_read_file('/etc/passwd')", "SELECT pg_ls_dir('.')",
        "SELECT lo_import('/etc/passwd')", "SELECT pg_stat_file('/etc/passwd')",
        "SELECT pg_reload_conf()", "SELECT pg_switch_wal()", "SELECT pg_rotate_logfile()",
        "SELECT pg_terminate_backend(pg_backend_pid())", "SELECT pg_cancel_backend(1)",
        "SELECT pg_advisory_lock(1)", "SELECT pg_sleep(60)", "SELECT pg_sleep_for('1 minute')",
        "SELECT pg_total_relation_size('{v_text}')", "SELECT inet_server_addr()",
        "SELECT * FROM pg_stat_get_activity(NULL)", "SELECT pg_notify('x', 'y')",
        "SELECT COUNT(*) FROM generate_series(1, 100000) a, generate_series(1, 100000) b",
    ],
    "sqlite": [
        *COMMON,
        "SELECT * FROM sqlite_master", "SELECT * FROM pragma_database_list",
        "SELECT a.sql FROM (WITH sqlite_master AS (SELECT 1 AS x) SELECT x FROM sqlite_master) s, "
        "sqlite_master a",
        "PRAGMA database_list", "PRAGMA writable_schema = 1", "SELECT load_extension('x')",
        "ATTACH DATABASE '{victim_file}' AS v", "SELECT * FROM temp.sqlite_master",
        "SELECT COUNT(*) FROM pragma_table_info('t')", "VACUUM INTO '/tmp/dwsim-copy.sqlite'",
    ],
    "snowflake": [
        *COMMON,
        "SELECT * FROM {v}",
        "DROP SCHEMA \"dwsim_victim\"", "SELECT * FROM information_schema.tables",
        "SELECT * FROM \"DWSIM\".\"dwsim_victim\".\"t\"",
        "SELECT a.* FROM (WITH tables AS (SELECT 1 AS x) SELECT x FROM tables) s, "
        "information_schema.tables a",
        "WITH x AS (SELECT 1 AS y) SELECT * FROM x, pg_tables",
        "SELECT * FROM read_csv('/etc/passwd')", "SELECT getenv('HOME')",
        "SELECT current_setting('memory_limit')", "SELECT * FROM duckdb_settings()",
        "SELECT 1; DROP SCHEMA \"dwsim_victim\"", "USE SCHEMA \"dwsim_victim\"",
    ],
}  # fmt: skip


def _experiment(name: str):  # type: ignore[no-untyped-def]
    return parse_experiment({
        "name": name,
        "tables": [{"name": "t", "target_rows": ROWS[name], "columns": [
            {"name": "id", "data_type": "BIGINT", "is_unique": True},
        ]}],
    })  # fmt: skip


@pytest.fixture(
    params=["sqlite", pytest.param("redshift", marks=pytest.mark.integration),
            pytest.param("snowflake", marks=pytest.mark.integration)],
)  # fmt: skip
def loaded(request: pytest.FixtureRequest, tmp_path: Path) -> Warehouse:
    values: dict[str, object] = {"home": tmp_path}
    if request.param == "redshift":
        values["redshift_url"] = request.getfixturevalue("postgres_db")
    if request.param == "snowflake":
        values |= snowflake_settings(request.getfixturevalue("snowflake_server"))
    warehouse = make_warehouse(request.param, Settings.model_validate(values))
    for name in ROWS:
        experiment = _experiment(name)
        warehouse.prepare(experiment)
        data = generate_shard(experiment, "t", seed=1, row_start=0, row_count=ROWS[name])
        path = tmp_path / f"{name}.parquet"
        write_shard_parquet(data, path)
        warehouse.load_shard(experiment, experiment.tables[0], path, ShardRef(1, "t", 0))
    return warehouse


def _count(warehouse: Warehouse, name: str) -> int:
    experiment = _experiment(name)
    return warehouse.count_rows(experiment, experiment.tables[0])


def test_hostile_queries_are_refused_or_stopped_and_change_nothing(loaded: Warehouse) -> None:
    warehouse = loaded
    dialect = warehouse.sqlglot_dialect
    names = {
        "t": warehouse.physical_table("attacker", "t").sql(dialect=dialect),
        "v": warehouse.physical_table("victim", "t").sql(dialect=dialect),
        "ledger": warehouse.physical_table("attacker", warehouse.LEDGER_TABLE).sql(dialect=dialect),
        "v_text": warehouse.physical_table("victim", "t").sql(dialect=dialect).replace("'", "''"),
        "victim_file": str(getattr(warehouse, "path", lambda _: "")("victim")),
    }  # fmt: skip
    outcomes: dict[str, str] = {}
    for template in HOSTILE[warehouse.name]:
        sql = template.format(**names)
        started = time.monotonic()
        try:
            result = warehouse.run_query("attacker", sql, row_cap=100, timeout_s=LIMIT_S)
        except QueryTimeout as error:
            assert "longer than" in error.message
            outcomes[sql] = "stopped"
        except (BadRequest, NotFound):
            outcomes[sql] = "refused"
        else:
            pytest.fail(f"{warehouse.name} ran {sql!r}: {result.rows[:3]}")
        assert time.monotonic() - started < LIMIT_S + 5, sql
        # The engine answers the next query normally, at once.
        check = warehouse.run_query(
            "attacker", f"SELECT COUNT(*) FROM {names['t']}", row_cap=1, timeout_s=LIMIT_S
        )
        assert check.rows == [[ROWS["attacker"]]], sql
    assert outcomes[CROSS.format(**names)] == "stopped"
    assert _count(warehouse, "attacker") == ROWS["attacker"]
    assert _count(warehouse, "victim") == ROWS["victim"]


def test_exports_stop_at_their_limit_and_the_engine_is_free_again(loaded: Warehouse) -> None:
    warehouse = loaded
    table = warehouse.physical_table("attacker", "t").sql(dialect=warehouse.sqlglot_dialect)
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match="longer than"):
        batches = warehouse.stream_query("attacker", CROSS.format(t=table), timeout_s=LIMIT_S)
        for _ in batches:
            pass
    assert time.monotonic() - started < LIMIT_S + 5
    check = warehouse.run_query("attacker", f"SELECT COUNT(*) FROM {table}", row_cap=1, timeout_s=5)
    assert check.rows == [[ROWS["attacker"]]]


@pytest.mark.parametrize(
    "sql",
    ['WITH x AS (SELECT 1 AS y) SELECT * FROM x',
     'WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 3) SELECT * FROM r',
     'SELECT t.id FROM "dwsim_a"."t" AS t JOIN (WITH z AS (SELECT 1 AS k) SELECT k FROM z) q ON TRUE',
     'SELECT 1 UNION ALL SELECT 2'],
)  # fmt: skip
def test_snowflake_guard_lets_reads_of_the_experiment_and_its_ctes_through(sql: str) -> None:
    check_engine_sql(sql, "dwsim_a")


@pytest.mark.parametrize(
    "sql",
    ['SELECT * FROM "dwsim_b"."t"', "SELECT * FROM t", 'SELECT * FROM "db"."dwsim_a"."t"',
     "SELECT (WITH t AS (SELECT 1 AS y) SELECT y FROM t) AS v FROM t",
     'SELECT * FROM "dwsim_a"."_dwsim_loads"', "SELECT * FROM read_parquet('/x')"],
)  # fmt: skip
def test_snowflake_guard_refuses_what_is_outside_the_experiment(sql: str) -> None:
    with pytest.raises(BadRequest, match="snowflake"):
        check_engine_sql(sql, "dwsim_a", frozenset({"_dwsim_loads"}))


@pytest.mark.integration
def test_the_redshift_reader_role_itself_refuses_without_read_only_session(
    postgres_db: str, tmp_path: Path
) -> None:
    """The role is the boundary: logged in as it directly, in autocommit (no READ ONLY
    transaction, no statement timeout from the adapter), writes and reads outside fail."""
    import psycopg2

    from dwsim_shared.warehouses.pg_reader import database_of, reader_password, reader_role

    warehouse = make_warehouse("redshift", Settings(home=tmp_path, redshift_url=postgres_db))
    for name in ROWS:
        warehouse.prepare(_experiment(name))
    role = reader_role(database_of(postgres_db), "dwsim_attacker")
    conn = psycopg2.connect(postgres_db, user=role, password=reader_password(postgres_db, role))
    conn.autocommit = True
    refused = [
        'INSERT INTO "dwsim_attacker"."t" VALUES (1)', 'DELETE FROM "dwsim_attacker"."t"',
        'SELECT * FROM "dwsim_victim"."t"', 'DROP SCHEMA "dwsim_victim" CASCADE',
        "CREATE TABLE public.made_here (a INT)", "CREATE TEMP TABLE made_here (a INT)",
        'CREATE TABLE "dwsim_attacker".made_here (a INT)', "SET ROLE postgres",
        "SELECT set_config('role', 'postgres', false)", "SELECT * FROM pg_settings",
        "SELECT query FROM pg_stat_activity", "SELECT relname FROM pg_class",
        "SELECT table_to_xml('\"dwsim_victim\".\"t\"', true, false, '')", "SELECT pg_sleep(0)",
        "SELECT pg_reload_conf()", "SELECT pg_read_file('/etc/hostname')",
        "SELECT pg_advisory_lock(1)", "SET default_transaction_read_only = off; "
        "CREATE TABLE \"dwsim_attacker\".x (a INT)",
    ]  # fmt: skip
    with conn.cursor() as cur:
        for sql in refused:
            with pytest.raises(psycopg2.Error):
                cur.execute(sql)
        cur.execute('SELECT COUNT(*) FROM "dwsim_attacker"."t"')
        assert cur.fetchone() == (0,)
    conn.close()
