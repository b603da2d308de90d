"""Warehouse adapters on real engines: SQLite files and PostgreSQL (the Redshift mock)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dwsim_shared.errors import BadRequest, DependencyUnavailable, InvalidInput, QueryTimeout
from dwsim_shared.experiment import parse_experiment
from dwsim_shared.generation import generate_shard, write_shard_parquet
from dwsim_shared.settings import Settings
from dwsim_shared.testing.servers import free_port
from dwsim_shared.warehouses import Warehouse, make_warehouse
from dwsim_shared.warehouses.base import ShardRef

EXPERIMENT = parse_experiment({
    "name": "wh",
    "tables": [{"name": "Items", "target_rows": 1_000, "columns": [
        {"name": "id", "data_type": "BIGINT", "is_unique": True},
        {"name": "label", "data_type": "VARCHAR", "varchar_length": 12, "required": False,
         "null_rate": 0.3, "choices": ["", "a,b", "say \"hi\"", "line\nbreak"]},
        {"name": "day", "data_type": "DATE"},
        {"name": "at", "data_type": "TIMESTAMP"},
        {"name": "ok", "data_type": "BOOLEAN"},
        {"name": "price", "data_type": "FLOAT"},
        {"name": "n", "data_type": "SMALLINT", "min_value": -5, "max_value": 5},
    ]}],
})  # fmt: skip
TABLE = EXPERIMENT.tables[0]


@pytest.fixture(params=["sqlite", "redshift"])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Warehouse:
    redshift_url = request.getfixturevalue("postgres_db") if request.param == "redshift" else None
    return make_warehouse(request.param, Settings(home=tmp_path, redshift_url=redshift_url))


@pytest.fixture
def shard(tmp_path: Path) -> tuple[Path, list[dict[str, object]]]:
    data = generate_shard(EXPERIMENT, "Items", seed=3, row_start=0, row_count=1_000)
    path = tmp_path / "shard.parquet"
    write_shard_parquet(data, path)
    return path, data.to_pylist()


def test_load_is_exactly_once_and_values_survive(warehouse: Warehouse, shard) -> None:  # type: ignore[no-untyped-def]
    path, rows = shard
    warehouse.check()
    warehouse.prepare(EXPERIMENT)
    assert warehouse.load_shard(EXPERIMENT, TABLE, path, ShardRef(1, "Items", 0)) == 1_000
    assert (
        warehouse.load_shard(EXPERIMENT, TABLE, path, ShardRef(1, "Items", 0)) == 1_000
    )  # redelivered
    assert warehouse.count_rows(EXPERIMENT, TABLE) == 1_000
    assert (
        warehouse.load_shard(EXPERIMENT, TABLE, path, ShardRef(2, "Items", 0)) == 1_000
    )  # another run
    assert warehouse.count_rows(EXPERIMENT, TABLE) == 2_000

    table = warehouse.physical_table("wh", "Items").sql(dialect=warehouse.sqlglot_dialect)
    result = warehouse.run_query(
        "wh", f"SELECT label, COUNT(*) FROM {table} GROUP BY label", row_cap=10, timeout_s=10
    )
    expected: dict[object, int] = {}
    for row in rows:
        expected[row["label"]] = expected.get(row["label"], 0) + 2
    assert (
        dict(map(tuple, result.rows)) == expected
    )  # empty string, NULL, quotes, newlines distinct
    first = warehouse.run_query(
        "wh", f"SELECT id, day, ok, n FROM {table} ORDER BY id LIMIT 1", row_cap=5, timeout_s=10
    )
    assert str(first.rows[0][1]) == rows[0]["day"].isoformat()
    assert bool(first.rows[0][2]) == rows[0]["ok"] and first.rows[0][3] == rows[0]["n"]


def test_prepare_replaces_tables_and_row_cap_truncates(warehouse: Warehouse, shard) -> None:  # type: ignore[no-untyped-def]
    path, _ = shard
    warehouse.prepare(EXPERIMENT)
    warehouse.load_shard(EXPERIMENT, TABLE, path, ShardRef(1, "Items", 0))
    warehouse.prepare(EXPERIMENT)
    assert warehouse.count_rows(EXPERIMENT, TABLE) == 0
    warehouse.load_shard(EXPERIMENT, TABLE, path, ShardRef(1, "Items", 0))
    table = warehouse.physical_table("wh", "Items").sql(dialect=warehouse.sqlglot_dialect)
    result = warehouse.run_query("wh", f"SELECT id FROM {table}", row_cap=10, timeout_s=10)
    assert len(result.rows) == 10 and result.truncated
    with pytest.raises(BadRequest):
        warehouse.run_query("wh", f"SELECT no_such_column FROM {table}", row_cap=10, timeout_s=10)
    warehouse.drop("wh")


def test_physical_ddl_keeps_lengths_and_nullability(warehouse: Warehouse) -> None:
    ddl = warehouse.create_table_sql("wh", TABLE)
    assert '"label" VARCHAR(12)' in ddl and '"id" BIGINT NOT NULL' in ddl
    assert '"label" VARCHAR(12) NOT NULL' not in ddl


def test_read_only_queries_cannot_write(warehouse: Warehouse, shard) -> None:  # type: ignore[no-untyped-def]
    warehouse.prepare(EXPERIMENT)
    table = warehouse.physical_table("wh", "Items").sql(dialect=warehouse.sqlglot_dialect)
    with pytest.raises(BadRequest):
        warehouse.run_query("wh", f"DELETE FROM {table}", row_cap=10, timeout_s=10)


def test_long_query_times_out(warehouse: Warehouse) -> None:
    warehouse.prepare(EXPERIMENT)
    slow = (
        "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 100000000) "
        "SELECT COUNT(*) FROM r"
    )
    with pytest.raises(QueryTimeout):
        warehouse.run_query("wh", slow, row_cap=10, timeout_s=0.5)


def test_unconfigured_or_unreachable_redshift_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(DependencyUnavailable, match="DWSIM_REDSHIFT_URL"):
        make_warehouse("redshift", Settings(home=tmp_path)).check()
    down = Settings(home=tmp_path, redshift_url=f"postgresql://postgres@127.0.0.1:{free_port()}/x")
    with pytest.raises(DependencyUnavailable, match="redshift warehouse"):
        make_warehouse("redshift", down).check()


def test_unknown_warehouse_names_the_available_ones(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="available: redshift, sqlite"):
        make_warehouse("oracle", Settings(home=tmp_path))
