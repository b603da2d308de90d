"""Warehouse adapters on real engines: SQLite files and PostgreSQL (the Redshift mock)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dwsim_shared.errors import BadRequest, DependencyUnavailable, InvalidInput, QueryTimeout
from dwsim_shared.experiment_checks import parse_experiment
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


@pytest.fixture(params=["sqlite", pytest.param("redshift", marks=pytest.mark.integration)])
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
    with pytest.raises(InvalidInput, match="available: redshift, snowflake, sqlite"):
        make_warehouse("oracle", Settings(home=tmp_path))


ALL_TYPES = parse_experiment({
    "name": "types",
    "source_dialect": "redshift",
    "tables": [{"name": "every_type", "target_rows": 500, "columns": [
        {"name": "s", "data_type": "SMALLINT"},
        {"name": "i", "data_type": "INTEGER", "source_type": "INTEGER"},
        {"name": "b", "data_type": "BIGINT", "is_unique": True},
        {"name": "amount", "data_type": "NUMERIC(18,4)", "source_type": "NUMERIC(18,4)",
         "min_value": -1000, "max_value": 1000},
        {"name": "ratio", "data_type": "REAL", "source_type": "REAL"},
        {"name": "name", "data_type": "VARCHAR(30)", "source_type": "VARCHAR(30)", "faker_rule": "name"},
        {"name": "big_text", "data_type": "VARCHAR", "source_type": "VARCHAR(MAX)"},
        {"name": "code", "data_type": "CHAR(2)", "source_type": "CHAR(2)", "pattern": "??"},
        {"name": "d", "data_type": "DATE"},
        {"name": "t", "data_type": "TIME"},
        {"name": "ts", "data_type": "TIMESTAMP", "source_type": "TIMESTAMP(6)"},
        {"name": "tstz", "data_type": "TIMESTAMPTZ"},
        {"name": "flag", "data_type": "BOOLEAN", "required": False},
        {"name": "doc", "data_type": "SUPER", "source_type": "SUPER"},
        {"name": "tags", "data_type": "ARRAY"},
    ]}],
})  # fmt: skip


def test_every_type_is_created_loaded_and_read_back(warehouse: Warehouse, tmp_path: Path) -> None:
    table = ALL_TYPES.tables[0]
    data = generate_shard(ALL_TYPES, table.name, seed=9, row_start=0, row_count=500)
    path = tmp_path / "types.parquet"
    write_shard_parquet(data, path)
    warehouse.prepare(ALL_TYPES)
    assert warehouse.load_shard(ALL_TYPES, table, path, ShardRef(1, table.name, 0)) == 500
    physical = warehouse.physical_table("types", table.name).sql(dialect=warehouse.sqlglot_dialect)
    result = warehouse.run_query(
        "types",
        f"SELECT b, amount, code, doc, tags FROM {physical} ORDER BY b LIMIT 1",
        row_cap=1,
        timeout_s=10,
    )
    first = data.slice(0, 1).to_pylist()[0]
    b, amount, code, doc, tags = result.rows[0]
    assert b == first["b"] and code == first["code"]
    assert float(amount) == float(first["amount"])
    doc_value = doc if isinstance(doc, dict) else json.loads(doc)
    assert doc_value == json.loads(first["doc"])
    assert (tags if isinstance(tags, list) else json.loads(tags)) == json.loads(first["tags"])


def test_physical_ddl_is_faithful_to_the_source_types(warehouse: Warehouse) -> None:
    ddl = warehouse.create_table_sql(ALL_TYPES, ALL_TYPES.tables[0])
    assert '"amount" DECIMAL(18, 4)' in ddl or '"amount" NUMERIC(18, 4)' in ddl
    assert '"ratio" REAL' in ddl
    assert '"name" VARCHAR(30)' in ddl and '"code" CHAR(2)' in ddl
    assert '"big_text" TEXT' in ddl  # VARCHAR(MAX) has no equal here
    if warehouse.name == "redshift":
        assert '"doc" JSONB' in ddl and '"tstz" TIMESTAMPTZ' in ddl
