"""One shard of one table: generate it as an Arrow table, write it as zstd Parquet."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from dwsim_shared.experiment import Experiment
from dwsim_shared.generation.arrow_types import arrow_type
from dwsim_shared.generation.columns import ColumnContext, generator_for
from dwsim_shared.generation.randomness import column_rng


def arrow_schema(experiment: Experiment, table_name: str) -> pa.Schema:
    table = experiment.table(table_name)
    assert table is not None
    return pa.schema([pa.field(c.name, arrow_type(c), nullable=c.nullable) for c in table.columns])


def generate_shard(
    experiment: Experiment,
    table_name: str,
    *,
    seed: int,
    row_start: int,
    row_count: int,
    row_targets: dict[str, int] | None = None,
) -> pa.Table:
    """Rows `row_start .. row_start + row_count` of a table: a pure function of the arguments."""
    table = experiment.table(table_name)
    if table is None:
        raise KeyError(f"experiment {experiment.name!r} has no table {table_name!r}")
    targets = row_targets or {t.name: t.target_rows for t in experiment.tables}
    indices = np.arange(row_start, row_start + row_count, dtype=np.int64)
    arrays = []
    for col in table.columns:
        ctx = ColumnContext(experiment, table, col, seed, targets)
        rng = column_rng(seed, table.name, col.name, row_start)
        values = generator_for(table, col)(ctx, indices, rng)
        null_rate = col.effective_null_rate
        if null_rate > 0 and row_count:
            null_rng = column_rng(seed, table.name, col.name + "#nulls", row_start)
            mask = pa.array(null_rng.random(row_count) < null_rate)
            values = pa.compute.if_else(mask, pa.scalar(None, values.type), values)
        arrays.append(values)
    return pa.Table.from_arrays(arrays, schema=arrow_schema(experiment, table.name))


def write_shard_parquet(data: pa.Table, path: Path) -> int:
    """Write a shard as one zstd-compressed Parquet file; returns the number of rows."""
    pq.write_table(data, path, compression="zstd", row_group_size=256 * 1024)
    return data.num_rows
