"""Namespaces: two experiments never share one, whatever their names' length."""

from __future__ import annotations

from pathlib import Path

import pytest

from dwsim_shared.errors import InvalidInput
from dwsim_shared.experiment_checks import parse_experiment
from dwsim_shared.generation import generate_shard, write_shard_parquet
from dwsim_shared.objectstore import experiment_prefix
from dwsim_shared.settings import Settings
from dwsim_shared.testing.fixtures import snowflake_settings
from dwsim_shared.warehouses import Warehouse, make_warehouse
from dwsim_shared.warehouses.base import ShardRef
from dwsim_shared.warehouses.namespaces import live_namespace, namespace_identifier

# Two names of the longest length allowed, equal but for their last character.
LONG_A = "p" * 62 + "a"
LONG_B = "p" * 62 + "b"


def test_long_names_get_distinct_namespaces_within_the_limit() -> None:
    a, b = live_namespace(LONG_A), live_namespace(LONG_B)
    assert a != b
    assert len(a.encode()) == len(b.encode()) == 63
    assert live_namespace("shop") == "dwsim_shop"  # short names keep their readable schema


def test_identity_and_hashed_names_never_meet() -> None:
    # A name crafted to look like another's hashed form is shorter than any hashed form.
    hashed = live_namespace(LONG_A)
    crafted = hashed.removeprefix("dwsim_")
    assert len(crafted) == 57
    assert live_namespace(crafted) != hashed
    assert namespace_identifier("x" * 62) == "x" * 62


def test_names_that_are_not_experiment_names_never_reach_a_namespace() -> None:
    for bad in ("", "a\x00b", "../etc", "A", "a" * 64, "a-b", "a\nb"):
        with pytest.raises(InvalidInput, match="not valid"):
            live_namespace(bad)
        with pytest.raises(InvalidInput, match="not valid"):
            experiment_prefix(bad)
    assert experiment_prefix(LONG_A) != experiment_prefix(LONG_B)


def _experiment(name: str):  # type: ignore[no-untyped-def]
    return parse_experiment({
        "name": name,
        "tables": [{"name": "t", "target_rows": 50, "columns": [
            {"name": "id", "data_type": "BIGINT", "is_unique": True},
        ]}],
    })  # fmt: skip


def _warehouse(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Warehouse:
    values: dict[str, object] = {"home": tmp_path}
    if kind == "redshift":
        values["redshift_url"] = request.getfixturevalue("postgres_db")
    if kind == "snowflake":
        values |= snowflake_settings(request.getfixturevalue("snowflake_server"))
    return make_warehouse(kind, Settings.model_validate(values))


@pytest.mark.parametrize(
    "kind",
    ["sqlite", pytest.param("redshift", marks=pytest.mark.integration),
     pytest.param("snowflake", marks=pytest.mark.integration)],
)  # fmt: skip
def test_deleting_one_long_named_experiment_leaves_the_other_intact(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    warehouse = _warehouse(kind, request, tmp_path)
    for name, rows in ((LONG_A, 50), (LONG_B, 30)):
        experiment = _experiment(name)
        warehouse.prepare(experiment)
        data = generate_shard(experiment, "t", seed=1, row_start=0, row_count=rows)
        path = tmp_path / f"{name}.parquet"
        write_shard_parquet(data, path)
        warehouse.load_shard(experiment, experiment.tables[0], path, ShardRef(1, "t", 0))
    a, b = _experiment(LONG_A), _experiment(LONG_B)
    assert warehouse.count_rows(a, a.tables[0]) == 50
    assert warehouse.count_rows(b, b.tables[0]) == 30
    warehouse.drop(LONG_A)
    assert warehouse.count_rows(b, b.tables[0]) == 30
    table = warehouse.physical_table(LONG_B, "t").sql(dialect=warehouse.sqlglot_dialect)
    result = warehouse.run_query(LONG_B, f"SELECT COUNT(*) FROM {table}", row_cap=1, timeout_s=10)
    assert result.rows == [[30]]
    warehouse.drop(LONG_B)
