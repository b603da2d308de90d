"""The sample (`generation.sample`): a table's first rows computed alone equal the first rows of
the Parquet shard a run writes with the same seed, row targets and shard size, for every rule
kind, nulls, composite keys, multi-column and Zipf foreign keys, and samples that cross shard
and chunk boundaries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from dwsim_shared.experiment import Experiment
from dwsim_shared.generation.sample import sample_tables
from dwsim_shared.generation.shard import write_rows_parquet
from dwsim_shared.runs import plan_shards

EVERY_RULE: dict[str, Any] = {
    "name": "every_rule",
    "source_dialect": "snowflake",
    "tables": [
        {
            "name": "parent",
            "target_rows": 300,
            "primary_key": ["id"],
            "unique_constraints": [["region", "code"]],
            "columns": [
                {"name": "id", "data_type": "BIGINT"},
                {"name": "region", "data_type": "VARCHAR", "varchar_length": 2,
                 "choices": ["EU", "US", "JP"]},
                {"name": "code", "data_type": "INT", "min_value": 1, "max_value": 500},
                {"name": "email", "data_type": "VARCHAR", "varchar_length": 80,
                 "faker_rule": "email", "is_unique": True},
                {"name": "name", "data_type": "VARCHAR", "varchar_length": 40,
                 "faker_rule": "name", "null_rate": 0.2, "required": False},
            ],
        },
        {
            "name": "child",
            "target_rows": 5000,
            "primary_key": ["id"],
            "foreign_keys": [{"columns": ["p_region", "p_code"], "references_table": "parent",
                              "references_columns": ["region", "code"], "nullable": True}],
            "columns": [
                {"name": "id", "data_type": "BIGINT", "sequence": {"start": 100, "step": 3}},
                {"name": "parent_id", "data_type": "BIGINT",
                 "foreign_key": {"references_table": "parent", "references_column": "id",
                                 "parent_selection": {"type": "zipf", "s": 1.3}}},
                {"name": "p_region", "data_type": "VARCHAR", "varchar_length": 2,
                 "required": False},
                {"name": "p_code", "data_type": "INT", "required": False},
                {"name": "tier", "data_type": "VARCHAR", "varchar_length": 10,
                 "choices": ["free", "pro", "max"], "weights": [0.7, 0.2, 0.1]},
                {"name": "amount", "data_type": "DECIMAL", "precision": 12, "scale": 2,
                 "min_value": 1, "max_value": 900, "distribution": {"type": "lognormal",
                 "parameters": {"mean": 3, "sigma": 1}}},
                {"name": "score", "data_type": "DOUBLE", "min_value": 0, "max_value": 1,
                 "distribution": {"type": "beta", "parameters": {"alpha": 2, "beta": 3}}},
                {"name": "qty", "data_type": "INT", "min_value": 1, "max_value": 9,
                 "null_rate": 0.3, "required": False},
                {"name": "day", "data_type": "DATE", "date_start": "2024-01-01",
                 "date_end": "2024-12-31"},
                {"name": "at", "data_type": "TIMESTAMP"},
                {"name": "at_tz", "data_type": "TIMESTAMP_TZ", "date_start": "2023-01-01",
                 "date_end": "2023-02-01"},
                {"name": "clock", "data_type": "TIME"},
                {"name": "flag", "data_type": "BOOLEAN"},
                {"name": "note", "data_type": "VARCHAR", "varchar_length": 30},
                {"name": "sku", "data_type": "VARCHAR", "varchar_length": 12,
                 "pattern": "SKU-{???}-{##*}"},
                {"name": "doc", "data_type": "VARIANT"},
                {"name": "tags", "data_type": "ARRAY"},
            ],
        },
        {
            "name": "pairs",
            "target_rows": 40,
            "composite_keys": [["a", "b"]],
            "columns": [
                {"name": "a", "data_type": "INT", "min_value": 1, "max_value": 8},
                {"name": "b", "data_type": "DATE", "date_start": "2024-01-01",
                 "date_end": "2024-01-31"},
                {"name": "c", "data_type": "VARCHAR", "varchar_length": 20, "faker_rule": "word"},
            ],
        },
    ],
}


def run_first_rows(
    exp: Experiment, *, seed: int, shard_size: int, rows: int, chunk_rows: int, tmp: Path
) -> dict[str, list[dict[str, Any]]]:
    """The first `rows` rows of each table as a run writes them: every shard's Parquet object,
    made by the generator's own writer, read back in order."""
    targets = {t.name: t.target_rows for t in exp.tables}
    out: dict[str, list[dict[str, Any]]] = {t: [] for t in targets}
    for shard in plan_shards(targets, shard_size):
        if shard.row_start >= rows:
            continue
        path = tmp / f"{shard.table}-{shard.shard_index}.parquet"
        write_rows_parquet(exp, shard.table, path, seed=seed, row_start=shard.row_start,
                           row_count=shard.row_count, row_targets=targets,
                           chunk_rows=chunk_rows)  # fmt: skip
        out[shard.table].extend(pq.read_table(path).to_pylist())
    return {t: r[:rows] for t, r in out.items()}


@pytest.mark.parametrize(
    ("shard_size", "chunk_rows", "seed"),
    [(1_000_000, 256 * 1024, 7), (2_000, 700, 2**63 - 1), (4, 3, 3520843874753897882)],
    ids=["one-shard", "shards-and-chunks", "tiny-shards"],
)
def test_sample_equals_a_runs_first_rows(
    tmp_path: Path, shard_size: int, chunk_rows: int, seed: int
) -> None:
    exp = Experiment.model_validate(EVERY_RULE)
    targets = {t.name: t.target_rows for t in exp.tables}
    sample = sample_tables(exp, seed=seed, row_targets=targets, shard_size=shard_size,
                           limit=10, chunk_rows=chunk_rows)  # fmt: skip
    expected = run_first_rows(exp, seed=seed, shard_size=shard_size, rows=10,
                              chunk_rows=chunk_rows, tmp=tmp_path)  # fmt: skip
    for table, rows in expected.items():
        assert len(rows) == 10
        assert sample[table].to_pylist() == rows, table
    # the sample is not trivially constant: nulls and several tiers show up in 10 rows
    child = sample["child"].to_pylist()
    assert len({r["tier"] for r in child}) > 1 and any(r["qty"] is None for r in child)


def test_sample_of_a_small_table_is_the_whole_table() -> None:
    exp = Experiment.model_validate(EVERY_RULE)
    targets = {"parent": 3, "child": 0, "pairs": 40}
    sample = sample_tables(exp, seed=1, row_targets=targets, shard_size=100, limit=10)
    assert sample["parent"].num_rows == 3
    assert sample["child"].num_rows == 0
    assert sample["child"].column_names[0] == "id"
