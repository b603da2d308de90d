"""The hostile set, on every engine and in both dialects: each statement is a 400 with a
plain message, and the warehouse is unchanged afterwards (the Snowflake path included)."""

from __future__ import annotations

import re

import pytest

from dwsim_shared.errors import BadRequest

from .conftest import ROWS, GoldenEngine

pytestmark = pytest.mark.integration
HOSTILE = [
    "DROP TABLE g", "CREATE TABLE x AS SELECT 1 AS a", "ALTER TABLE g ADD COLUMN c INT",
    "TRUNCATE g", "DELETE FROM g", "UPDATE g SET i = 0", "INSERT INTO g (id) VALUES (9)",
    "MERGE INTO g USING g AS s ON g.id = s.id WHEN MATCHED THEN DELETE",
    "WITH d AS (DELETE FROM g RETURNING *) SELECT * FROM d",
    "WITH d AS (INSERT INTO g (id) VALUES (9) RETURNING id) SELECT * FROM d",
    "SELECT * INTO g2 FROM g", "CREATE TEMP TABLE t2 AS SELECT * FROM g",
    "ATTACH DATABASE '/tmp/x.db' AS x", "PRAGMA writable_schema = 1",
    "SELECT pg_read_file('/etc/passwd')", "SELECT readfile('/etc/passwd')",
    "SELECT * FROM read_csv('/etc/passwd')", "SELECT * FROM read_parquet('/tmp/x.parquet')",
    "SELECT lo_import('/etc/passwd')", "COPY g TO '/tmp/x.csv'",
    "SELECT * FROM dblink('host=x', 'select 1') AS t(a int)",
    "SELECT load_extension('/tmp/x.so')", "SELECT * FROM pg_catalog.pg_tables",
    "SELECT * FROM information_schema.tables", "SELECT * FROM sqlite_master",
    "SELECT * FROM pg_stat_activity", "SELECT * FROM dwsim_other.g",
    "SELECT a.query FROM (WITH pg_stat_activity AS (SELECT 1 AS x) SELECT x FROM pg_stat_activity) s, pg_stat_activity a",
    "SELECT pg_sleep(5)", "SELECT SYSTEM$WAIT(5)", "SELECT sleep(5)",
    "SELECT set_config('statement_timeout', '0', false)", "SELECT current_setting('data_directory')",
    "SET search_path TO public", "USE SCHEMA other", "ALTER SESSION SET TIMEZONE = 'UTC'",
    "BEGIN", "COMMIT", "CALL do_something()", "EXECUTE IMMEDIATE 'DROP TABLE g'",
    "GRANT ALL ON g TO PUBLIC", "SELECT 1; DROP TABLE g", "SELECT table_to_xml('g', true, true, '')",
    "SELECT pg_reload_conf()", "SELECT pg_terminate_backend(1)", "SELECT txid_current()",
    "SELECT 'pg_authid'::regclass", "SELECT * FROM g FOR UPDATE",
]  # fmt: skip
LIBRARY_NAMES = re.compile(r"sqlglot|<class|psycopg2|snowflake\.connector|Traceback")


@pytest.mark.parametrize("dialect", ["redshift", "snowflake"])
def test_hostile_statements_are_refused_and_change_nothing(
    golden_engine: GoldenEngine, dialect: str
) -> None:
    let_through = []
    for sql in HOSTILE:
        try:
            golden_engine.run(sql, dialect)
        except BadRequest as error:
            assert not LIBRARY_NAMES.search(error.message), (sql, error.message)
        else:
            let_through.append(sql)
    assert let_through == []
    rows = golden_engine.run("SELECT COUNT(*), SUM(i), MIN(id), MAX(id) FROM g", dialect)
    assert [list(r) for r in rows] == [[len(ROWS), 13, 1, 5]]
    assert golden_engine.warehouse.count_rows(
        golden_engine.experiment, golden_engine.experiment.tables[0]
    ) == len(ROWS)
