"""Whatever an engine does with a statement, the query service answers a clear JSON status
(never a bare 500, never a library class name): values it cannot represent are 422, and the
documented Snowflake example that used to reach a 500 answers its value."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dwsim_query.app import create_app
from dwsim_shared.experiment_checks import parse_experiment
from dwsim_shared.generation import generate_shard, write_shard_parquet
from dwsim_shared.testing.pipeline import embedded_runtime, submit_run
from dwsim_shared.warehouses.base import ShardRef

pytestmark = pytest.mark.integration
CLASS_NAMES = re.compile(r"Error\b|Exception|psycopg2|sqlite3|<class")


@pytest.mark.parametrize("dialect", ["redshift", "snowflake"])
def test_engine_values_out_of_reach_are_4xx_on_the_redshift_mock(
    tmp_path: Path, postgres_db: str, dialect: str
) -> None:
    rt = embedded_runtime(tmp_path, redshift_url=postgres_db)
    document = {"name": "edges", "source_dialect": dialect, "target_warehouse": "redshift",
                "tables": [{"name": "t", "target_rows": 3, "columns": [
                    {"name": "id", "data_type": "BIGINT", "is_unique": True}]}]}  # fmt: skip
    submit_run(rt, document, published=True)
    experiment = parse_experiment(document)
    warehouse = rt.warehouse("redshift")
    warehouse.prepare(experiment)
    path = tmp_path / "t.parquet"
    write_shard_parquet(generate_shard(experiment, "t", seed=1, row_start=0, row_count=3), path)
    warehouse.load_shard(experiment, experiment.tables[0], path, ShardRef(1, "t", 0))
    settings = rt.settings
    rt.close()

    with TestClient(create_app(settings), raise_server_exceptions=False) as client:

        def ask(sql: str) -> tuple[int, dict]:  # type: ignore[type-arg]
            answer = client.post("/query", json={"experiment": "edges", "sql": sql})
            return answer.status_code, answer.json()

        status, body = ask("SELECT CAST('20000-01-01' AS DATE) FROM t")
        assert status == 422, body
        assert body["error"] == "unreadable_result"
        assert "redshift warehouse" in body["message"] and "20000" in body["message"]
        assert not CLASS_NAMES.search(body["message"]), body
        # the CSV export reads its first rows before it answers, so it is refused the same way
        answer = client.post("/query", json={
            "experiment": "edges", "sql": "SELECT CAST('20000-01-01' AS DATE) FROM t",
            "format": "csv"})  # fmt: skip
        assert answer.status_code == 422, answer.text
        if dialect == "snowflake":
            status, body = ask("SELECT TO_TIMESTAMP_NTZ(40 * 365.25 * 86400 * 1000 + 456, 3)")
            assert status == 200, body
            assert body["rows"] == [["2010-01-01T00:00:00.456000"]]
        status, body = ask("SELECT COUNT(*) FROM t")  # the engine is fine afterwards
        assert status == 200 and body["rows"] == [[3]], body
