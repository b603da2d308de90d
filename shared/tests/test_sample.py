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
from dwsim_shared.runs.plan import plan_shards
from dwsim_shared.testing.experiments import EVERY_RULE


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
