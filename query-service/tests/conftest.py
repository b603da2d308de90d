"""The golden table `g`, loaded straight into each warehouse adapter (no services): the
golden cases and the corpus run against it on SQLite, the Redshift mock and the emulator."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dwsim_query.pipeline import PreparedSQL
from dwsim_query.results import encode_rows
from dwsim_query.service import ExperimentContext
from dwsim_shared.experiment import Experiment
from dwsim_shared.experiment_checks import parse_experiment
from dwsim_shared.settings import Settings
from dwsim_shared.testing.fixtures import snowflake_settings
from dwsim_shared.warehouses import Warehouse, make_warehouse
from dwsim_shared.warehouses.base import ShardRef

GOLDEN = Path(__file__).parent / "golden"
D = decimal.Decimal
COLUMNS = [
    ("id", "INT", pa.int32()), ("i", "INT", pa.int32()), ("j", "INT", pa.int32()),
    ("n", "DECIMAL", pa.decimal128(10, 2)), ("f", "FLOAT", pa.float64()),
    ("s", "VARCHAR", pa.string()), ("grp", "VARCHAR", pa.string()), ("d", "DATE", pa.date32()),
    ("ts", "TIMESTAMP", pa.timestamp("us")), ("js", "VARIANT", pa.string()),
    ("nul", "INT", pa.int32()),
]  # fmt: skip
ROWS = [
    (1, 7, 2, D("2.25"), 2.5, "b,a,c", "x", dt.date(2024, 3, 17), dt.datetime(2024, 3, 17, 10, 11, 12),
     {"tags": ["x", "y"], "a": {"b": 3}, "name": "Ann"}, None),
    (2, -7, 2, D("10.50"), -1.5, "Hello World", "x", dt.date(2024, 1, 31), dt.datetime(2024, 1, 31, 23, 59, 59),
     {"tags": ["z"], "a": {"b": 4}, "name": "Bob"}, 5),
    (3, 10, 3, D("0.05"), 100.0, "foo123bar45", "y", dt.date(2023, 12, 31), dt.datetime(2023, 12, 31, 0, 0, 0),
     {"tags": [], "a": {"b": 5}, "name": "Cy"}, None),
    (4, 0, 5, D("99.99"), 0.0, "abc", "y", dt.date(2024, 2, 29), dt.datetime(2024, 2, 29, 12, 30, 0),
     {"tags": ["x"], "a": {"b": 6}, "name": "Di"}, 3),
    (5, 3, 4, D("1.00"), 3.25, "ABC", "z", dt.date(2025, 6, 15), dt.datetime(2025, 6, 15, 8, 5, 9),
     {"tags": ["y", "z"], "a": {"b": 7}, "name": "Ed"}, 1),
]  # fmt: skip


def golden_experiment(name: str) -> Experiment:
    columns: list[dict[str, Any]] = []
    for col, kind, _ in COLUMNS:
        spec: dict[str, Any] = {"name": col, "data_type": kind, "required": col != "nul"}
        if kind == "DECIMAL":
            spec |= {"precision": 10, "scale": 2}
        if kind == "VARCHAR":
            spec["varchar_length"] = 40
        columns.append(spec)
    return parse_experiment(
        {"name": name, "tables": [{"name": "g", "target_rows": len(ROWS), "columns": columns}]}
    )


def golden_parquet(path: Path) -> Path:
    arrays = []
    for index, (_, _, kind) in enumerate(COLUMNS):
        values = [r[index] for r in ROWS]
        if COLUMNS[index][0] == "js":
            values = [json.dumps(v) for v in values]
        arrays.append(pa.array(values, type=kind))
    pq.write_table(pa.Table.from_arrays(arrays, names=[c[0] for c in COLUMNS]), path)
    return path


@dataclass
class GoldenEngine:
    name: str
    warehouse: Warehouse
    experiment: Experiment

    def prepared(self, sql: str, dialect: str) -> PreparedSQL:
        """What the query service makes of `sql` for this engine (its service layer)."""
        context = ExperimentContext(0, self.experiment, self.warehouse, has_data=True)
        return context.prepare(sql, dialect=dialect)

    def engine_sql(self, sql: str, dialect: str) -> str:
        return self.prepared(sql, dialect).sql

    def run(self, sql: str, dialect: str) -> list[list[Any]]:
        """The rows as the query service answers them (booleans, exact decimals)."""
        prepared = self.prepared(sql, dialect)
        result = self.warehouse.run_query(
            self.experiment.name, prepared.sql, row_cap=10_000, timeout_s=60
        )
        return encode_rows(result.rows, prepared.columns)


@contextmanager
def open_golden_engine(
    name: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GoldenEngine]:
    """One engine (`sqlite`, `redshift`, `snowflake`) holding the golden table `g`."""
    tmp = tmp_path_factory.mktemp(f"golden-{name}")
    options: dict[str, Any] = {"home": tmp}
    if name == "redshift":
        from dwsim_shared.testing import servers

        server = request.getfixturevalue("postgres_server_url")
        context = servers.scratch_database(server, "dwsim_golden")
        options["redshift_url"] = context.__enter__()
    elif name == "snowflake":
        options |= snowflake_settings(request.getfixturevalue("snowflake_server"))
    warehouse = make_warehouse(name, Settings(**options))
    experiment = golden_experiment(f"golden_{uuid.uuid4().hex[:8]}")
    warehouse.prepare(experiment)
    warehouse.load_shard(
        experiment, experiment.tables[0], golden_parquet(tmp / "g.parquet"), ShardRef(1, "g", 0)
    )
    # One engine session for the module's hundreds of cases, not one per case.
    try:
        with warehouse.kept_sessions():
            yield GoldenEngine(name, warehouse, experiment)
    finally:
        warehouse.drop(experiment.name)
        if name == "redshift":
            context.__exit__(None, None, None)


@pytest.fixture(scope="module", params=["sqlite", "redshift", "snowflake"])
def golden_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GoldenEngine]:
    with open_golden_engine(request.param, request, tmp_path_factory) as engine:
        yield engine


@pytest.fixture(scope="module")
def golden_engines(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, GoldenEngine]]:
    """All three engines at once, for tests that compare their answers."""
    with ExitStack() as stack:
        yield {
            name: stack.enter_context(open_golden_engine(name, request, tmp_path_factory))
            for name in ("sqlite", "redshift", "snowflake")
        }
