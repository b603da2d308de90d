"""Exact decimals, booleans and source names through the whole pipeline on every engine: SUM and
AVG over a generated DECIMAL(12,2) column equal Python's `decimal` computation."""

from __future__ import annotations

import decimal
import random
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dwsim_query.compat.experiment_schema import schema_of
from dwsim_query.pipeline import prepare_query
from dwsim_query.results import encode_rows
from dwsim_shared.experiment import Experiment
from dwsim_shared.experiment_checks import parse_experiment
from dwsim_shared.settings import Settings
from dwsim_shared.testing.fixtures import snowflake_settings
from dwsim_shared.warehouses import Warehouse, make_warehouse
from dwsim_shared.warehouses.base import ShardRef

pytestmark = pytest.mark.integration
ROWS = 3000
D = decimal.Decimal
_RANDOM = random.Random(16)
AMOUNTS = [D(_RANDOM.randrange(-(10**11), 10**11)).scaleb(-2) for _ in range(ROWS)]
FLAGS = [i % 3 == 0 for i in range(ROWS)]


def _experiment() -> Experiment:
    columns = [
        {"name": "id", "data_type": "INT", "required": True},
        {"name": "amount", "data_type": "DECIMAL", "precision": 12, "scale": 2, "required": True},
        {"name": "flag", "data_type": "BOOLEAN", "required": True},
    ]
    return parse_experiment({
        "name": f"exact_{uuid.uuid4().hex[:8]}",
        "tables": [{"name": "orders", "target_rows": ROWS, "columns": columns}],
    })  # fmt: skip


def _parquet(path: Path) -> Path:
    table = pa.table({
        "id": pa.array(range(1, ROWS + 1), pa.int32()),
        "amount": pa.array(AMOUNTS, pa.decimal128(12, 2)),
        "flag": pa.array(FLAGS, pa.bool_()),
    })  # fmt: skip
    pq.write_table(table, path)
    return path


@pytest.fixture(scope="module", params=["sqlite", "redshift", "snowflake"])
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Warehouse, Experiment]]:
    tmp = tmp_path_factory.mktemp(f"exact-{request.param}")
    options: dict[str, Any] = {"home": tmp}
    context = None
    if request.param == "redshift":
        from dwsim_shared.testing import servers

        context = servers.scratch_database(request.getfixturevalue("postgres_server_url"), "x")
        options["redshift_url"] = context.__enter__()
    elif request.param == "snowflake":
        options |= snowflake_settings(request.getfixturevalue("snowflake_server"))
    warehouse = make_warehouse(request.param, Settings(**options))
    experiment = _experiment()
    warehouse.prepare(experiment)
    table = experiment.tables[0]
    warehouse.load_shard(experiment, table, _parquet(tmp / "o.parquet"), ShardRef(1, "orders", 0))
    try:
        yield warehouse, experiment
    finally:
        warehouse.drop(experiment.name)
        if context is not None:
            context.__exit__(None, None, None)


def _run(engine: tuple[Warehouse, Experiment], sql: str, dialect: str) -> tuple[list[Any], Any]:
    warehouse, experiment = engine

    def resolve(name: str) -> Any:
        return warehouse.physical_table(experiment.name, name) if name == "orders" else None

    prepared = prepare_query(
        sql, dialect, warehouse.sqlglot_dialect, resolve, ["orders"], schema_of(experiment)
    )
    result = warehouse.run_query(experiment.name, prepared.sql, row_cap=100, timeout_s=60)
    return encode_rows(result.rows, prepared.columns), prepared.columns


def _rounded(value: D, scale: int) -> D:
    return value.quantize(D(1).scaleb(-scale), decimal.ROUND_HALF_UP)


@pytest.mark.parametrize("dialect", ["redshift", "snowflake"])
def test_sum_and_avg_of_a_decimal_column_are_exact(engine: Any, dialect: str) -> None:
    rows, columns = _run(
        engine, "SELECT SUM(amount), AVG(amount), MIN(amount) FROM orders", dialect
    )
    total = sum(AMOUNTS, D(0))
    avg_scale = 2 if dialect == "redshift" else 8
    with decimal.localcontext(decimal.Context(prec=60)):
        average = _rounded(total / len(AMOUNTS), avg_scale)
    assert rows == [[total, average, min(AMOUNTS)]]
    assert all(isinstance(v, D) for v in rows[0])
    assert str(rows[0][0]) == str(total)  # the scale too: 2 places
    assert [c.type for c in columns] == (
        ["numeric(38,2)", "numeric(38,2)", "numeric(12,2)"]
        if dialect == "redshift"
        else ["NUMBER(38,2)", "NUMBER(38,8)", "NUMBER(12,2)"]
    )


def test_grouped_sums_are_exact_and_booleans_are_booleans(engine: Any) -> None:
    rows, columns = _run(
        engine, "SELECT flag, SUM(amount) FROM orders GROUP BY flag ORDER BY flag", "redshift"
    )
    expected = [
        [flag, sum((a for a, f in zip(AMOUNTS, FLAGS, strict=True) if f == flag), D(0))]
        for flag in (False, True)
    ]
    assert rows == expected
    assert [type(r[0]) for r in rows] == [bool, bool]
    assert [(c.name, c.type) for c in columns] == [("flag", "boolean"), ("sum", "numeric(38,2)")]


def test_plain_decimal_values_are_exact(engine: Any) -> None:
    rows, _ = _run(engine, "SELECT amount FROM orders ORDER BY id LIMIT 50", "snowflake")
    assert [r[0] for r in rows] == AMOUNTS[:50]
