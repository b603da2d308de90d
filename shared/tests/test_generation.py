"""Generation: exact, deterministic, unique across shards, foreign keys without reading parents."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from dwsim_shared.experiment_checks import parse_experiment
from dwsim_shared.generation import generate_shard, write_shard_parquet
from dwsim_shared.runs.plan import plan_shards

EXPERIMENT = parse_experiment({
    "name": "gen",
    "tables": [
        {"name": "customers", "target_rows": 3_000, "primary_key": ["id"], "columns": [
            {"name": "id", "data_type": "BIGINT", "sequence": {"start": 1000, "step": 3}},
            {"name": "email", "data_type": "VARCHAR", "varchar_length": 40, "faker_rule": "email", "is_unique": True},
            {"name": "code", "data_type": "VARCHAR", "varchar_length": 3, "is_unique": True},
            {"name": "name", "data_type": "VARCHAR", "varchar_length": 8, "faker_rule": "name"},
            {"name": "born", "data_type": "DATE", "date_start": "1990-01-01", "date_end": "1990-12-31"},
            {"name": "score", "data_type": "FLOAT", "min_value": 10, "max_value": 20,
             "distribution": {"type": "normal", "parameters": {"mean": 15, "stddev": 10}}},
            {"name": "age", "data_type": "SMALLINT", "min_value": 18, "max_value": 99},
            {"name": "tier", "data_type": "VARCHAR", "choices": ["a", "b"], "weights": [9, 1]},
            {"name": "note", "data_type": "VARCHAR", "required": False, "null_rate": 0.25},
            {"name": "seen", "data_type": "TIMESTAMP", "date_start": "2024-01-01", "date_end": "2024-01-31"},
        ]},
        {"name": "orders", "target_rows": 10_000, "columns": [
            {"name": "customer_id", "data_type": "BIGINT",
             "foreign_key": {"references_table": "customers", "references_column": "id"}},
            {"name": "customer_email", "data_type": "VARCHAR", "required": False,
             "foreign_key": {"references_table": "customers", "references_column": "email", "nullable": True}},
        ]},
    ],
})  # fmt: skip


def whole_table(name: str, shard_size: int, seed: int = 5) -> pa.Table:
    rows = EXPERIMENT.table(name).target_rows  # type: ignore[union-attr]
    parts = [
        generate_shard(EXPERIMENT, name, seed=seed, row_start=p.row_start, row_count=p.row_count)
        for p in plan_shards({name: rows}, shard_size)
    ]
    return pa.concat_tables(parts)


def test_exact_counts_and_arrow_types() -> None:
    table = whole_table("customers", 700)
    assert table.num_rows == 3_000
    types = {f.name: str(f.type) for f in table.schema}
    assert types["id"] == "int64" and types["age"] == "int16" and types["born"] == "date32[day]"
    assert types["seen"] == "timestamp[us]" and types["score"] == "double"


def test_unique_columns_are_unique_across_shards() -> None:
    table = whole_table("customers", 700)
    for column in ("id", "email", "code"):
        assert pc.count_distinct(table[column]).as_py() == 3_000, column
    assert table["id"].to_pylist()[:3] == [1000, 1003, 1006]
    assert max(len(v) for v in table["code"].to_pylist()) <= 3
    assert all("@" in v for v in table["email"].to_pylist())


def test_ranges_lengths_and_choices_hold() -> None:
    table = whole_table("customers", 1_000)
    assert pc.min(table["score"]).as_py() >= 10 and pc.max(table["score"]).as_py() <= 20
    assert pc.min(table["age"]).as_py() >= 18 and pc.max(table["age"]).as_py() <= 99
    born = table["born"].to_pylist()
    assert min(born).isoformat() >= "1990-01-01" and max(born).isoformat() <= "1990-12-31"
    assert max(pc.utf8_length(table["name"]).to_pylist()) <= 8
    share_a = table["tier"].to_pylist().count("a") / 3_000
    assert 0.87 < share_a < 0.93


def test_nulls_only_where_nullable_and_near_the_rate() -> None:
    table = whole_table("customers", 1_000)
    assert table["note"].null_count / 3_000 == pytest.approx(0.25, abs=0.03)
    for column in ("id", "email", "name", "score", "tier"):
        assert table[column].null_count == 0


def test_foreign_keys_point_at_existing_parent_keys() -> None:
    parents = whole_table("customers", 1_000)
    children = whole_table("orders", 3_000)
    ids = set(parents["id"].to_pylist())
    emails = set(parents["email"].to_pylist())
    assert set(children["customer_id"].to_pylist()) <= ids
    assert len(set(children["customer_id"].to_pylist())) > 2_000  # spread over the parents
    picked = [e for e in children["customer_email"].to_pylist() if e is not None]
    assert set(picked) <= emails
    assert children["customer_email"].null_count / 10_000 == pytest.approx(0.1, abs=0.02)


def test_child_does_not_depend_on_parent_rows_being_generated() -> None:
    huge = {"customers": 10**12, "orders": 100}
    shard = generate_shard(
        EXPERIMENT, "orders", seed=1, row_start=0, row_count=100, row_targets=huge
    )
    assert max(shard["customer_id"].to_pylist()) > 10**9


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_same_bytes_in_any_order(tmp_path: Path) -> None:
    plan = plan_shards({"customers": 3_000}, 1_000)
    digests = {}
    for order in (plan, list(reversed(plan))):
        for p in order:
            path = tmp_path / f"{p.shard_index}-{id(order)}.parquet"
            data = generate_shard(
                EXPERIMENT, "customers", seed=11, row_start=p.row_start, row_count=p.row_count
            )
            write_shard_parquet(data, path)
            digests.setdefault(p.shard_index, set()).add(_digest(path))
    assert all(len(d) == 1 for d in digests.values())
    other = generate_shard(EXPERIMENT, "customers", seed=12, row_start=0, row_count=1_000)
    same = generate_shard(EXPERIMENT, "customers", seed=11, row_start=0, row_count=1_000)
    assert not other.equals(same)


def test_empty_shard() -> None:
    shard = generate_shard(EXPERIMENT, "customers", seed=1, row_start=0, row_count=0)
    assert shard.num_rows == 0 and shard.num_columns == 10
