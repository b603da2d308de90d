"""The hostile corpus through the whole query service (parse, checks, rewrite, engine): every
statement is refused (by the pipeline or by the engine's query role) or stopped at the limit,
the next query is answered normally and nothing changes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from dwsim_query.service import run_query
from dwsim_shared.errors import BadRequest, DWSimError, NotFound, QueryTimeout
from dwsim_shared.experiment_checks import parse_experiment
from dwsim_shared.generation import generate_shard, write_shard_parquet
from dwsim_shared.runtime import Runtime
from dwsim_shared.testing.fixtures import snowflake_settings
from dwsim_shared.testing.pipeline import embedded_runtime, submit_run
from dwsim_shared.warehouses.base import ShardRef

LIMIT_S = 2.0
ROWS = {"attacker": 3_000, "victim": 40}
HOSTILE = [
    "DELETE FROM t", "DROP TABLE t", "SELECT * FROM dwsim_victim.t",
    "SELECT table_to_xml('dwsim_victim.t', true, false, '')",
    "SELECT schema_to_xml('dwsim_victim', true, false, '')",
    "SELECT query_to_xml_and_xmlschema('select * from dwsim_victim.t', true, false, '')",
    "SELECT a.query FROM (WITH pg_stat_activity AS (SELECT 1 AS x) SELECT x FROM "
    "pg_stat_activity) s, pg_stat_activity a",
    "SELECT a.rolpassword FROM (WITH pg_authid AS (SELECT 1 AS x) SELECT x FROM pg_authid) s, "
    "pg_authid a",
    "SELECT a.sql FROM (WITH sqlite_master AS (SELECT 1 AS x) SELECT x FROM sqlite_master) s, "
    "sqlite_master a",
    "SELECT * FROM pragma_database_list", "SELECT * FROM pg_settings",
    "SELECT pg_reload_conf()", "SELECT pg_switch_wal()", "SELECT pg_sleep(60)",
    "SELECT pg_read_file('/etc/passwd')", "SELECT current_setting('data_directory')",
    "SELECT SUM(a.id + b.id + c.id + d.id) FROM t a, t b, t c, t d",
    "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT COUNT(*) FROM r",
]  # fmt: skip


def _load(rt: Runtime, warehouse: str) -> None:
    for name, rows in ROWS.items():
        document = {"name": name, "target_warehouse": warehouse, "tables": [
            {"name": "t", "target_rows": rows, "columns": [
                {"name": "id", "data_type": "BIGINT", "is_unique": True}]}]}  # fmt: skip
        submit_run(rt, document, published=True)
        experiment = parse_experiment(document)
        engine = rt.warehouse(warehouse)
        engine.prepare(experiment)
        path = rt.settings.home / f"{name}.parquet"
        write_shard_parquet(
            generate_shard(experiment, "t", seed=1, row_start=0, row_count=rows), path
        )
        engine.load_shard(experiment, experiment.tables[0], path, ShardRef(1, "t", 0))


@pytest.fixture(
    params=["sqlite", pytest.param("redshift", marks=pytest.mark.integration),
            pytest.param("snowflake", marks=pytest.mark.integration)],
)  # fmt: skip
def runtime(request: pytest.FixtureRequest, tmp_path: Path) -> Runtime:
    values: dict[str, object] = {"query_timeout_s": LIMIT_S}
    if request.param == "redshift":
        values["redshift_url"] = request.getfixturevalue("postgres_db")
    if request.param == "snowflake":
        values |= snowflake_settings(request.getfixturevalue("snowflake_server"))
    rt = embedded_runtime(tmp_path, **values)
    _load(rt, request.param)
    return rt


def test_hostile_queries_through_the_service(runtime: Runtime) -> None:
    for sql in HOSTILE:
        started = time.monotonic()
        try:
            answer = run_query(runtime, "attacker", sql)
        except (BadRequest, NotFound, QueryTimeout):
            pass
        except DWSimError as error:
            pytest.fail(f"{sql!r}: {error.status} {error.message}")
        else:
            pytest.fail(f"ran {sql!r}: {answer['rows'][:3]}")
        assert time.monotonic() - started < LIMIT_S + 5, sql
        check = run_query(runtime, "attacker", "SELECT COUNT(*) FROM t")
        assert check["rows"] == [[ROWS["attacker"]]], sql
    victim = run_query(runtime, "victim", "SELECT COUNT(*) FROM t")
    assert victim["rows"] == [[ROWS["victim"]]]
