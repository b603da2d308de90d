"""One shard of one table: generate it as an Arrow table, write it as zstd Parquet."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dwsim_shared.experiment import Experiment
from dwsim_shared.generation.arrow_types import arrow_type
from dwsim_shared.generation.plan import GenerationPlan, TablePlan, compile_plan
from dwsim_shared.generation.randomness import column_rng
from dwsim_shared.generation.rules.foreign_key import pick_parents


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
    plan: GenerationPlan | None = None,
) -> pa.Table:
    """Rows `row_start .. row_start + row_count` of a table: a pure function of the arguments."""
    table = experiment.table(table_name)
    if table is None:
        raise KeyError(f"experiment {experiment.name!r} has no table {table_name!r}")
    plan = plan or compile_plan(experiment, row_targets)
    table_plan = plan.table(table.name)
    indices = np.arange(row_start, row_start + row_count, dtype=np.int64)
    decided = _joint_columns(plan, seed, table_plan, indices, row_start)
    arrays = []
    for col in table_plan.columns:
        values = decided.get(col.column.name)
        if values is None:
            ctx = plan.context(seed, table.name, col.column.name)
            if col.unique:
                values = col.rule.value_at(ctx, indices)
            else:
                rng = column_rng(seed, table.name, col.column.name, row_start)
                values = col.rule.generate(ctx, indices, rng)
            values = _with_nulls(
                values, col.null_rate, seed, table.name, col.column.name, row_start
            )
        arrays.append(values)
    return pa.Table.from_arrays(arrays, schema=arrow_schema(experiment, table.name))


def _with_nulls(
    values: pa.Array, null_rate: float, seed: int, table: str, key: str, row_start: int
) -> pa.Array:
    if null_rate <= 0 or len(values) == 0:
        return values
    null_rng = column_rng(seed, table, key + "#nulls", row_start)
    mask = pa.array(null_rng.random(len(values)) < null_rate)
    return pc.if_else(mask, pa.scalar(None, values.type), values)


def _joint_columns(
    plan: GenerationPlan, seed: int, table_plan: TablePlan, indices: np.ndarray, row_start: int
) -> dict[str, pa.Array]:
    """Columns decided together: composite keys (jointly unique) and multi-column foreign keys
    (all columns from the same parent row, NULL together)."""
    table = table_plan.table
    decided: dict[str, pa.Array] = {}
    for key in table_plan.composite_keys:
        decided.update(plan.composite_columns(seed, table.name, key, indices))
    for fk in table_plan.joint_foreign_keys():
        names = [table.column(n).name for n in fk.columns]  # type: ignore[union-attr]
        parent_rows = plan.rows(fk.references_table)
        label = "(" + ",".join(names) + ")"
        rng = column_rng(seed, table.name, label, row_start)
        picks = pick_parents(rng, len(indices), max(parent_rows, 1), fk.parent_selection,
                             plan.key_permutation(seed, table.name, label, "parents"))  # fmt: skip
        columns = [table.column(n) for n in names]
        rate = table_plan.foreign_key_null_rate(fk)
        mask = None
        if parent_rows == 0 or rate > 0:
            null_rng = column_rng(seed, table.name, label + "#nulls", row_start)
            mask = pa.array(null_rng.random(len(indices)) < rate) if parent_rows else None
        for name, target, col in zip(names, fk.references_columns, columns, strict=True):
            assert col is not None
            if parent_rows == 0:
                decided[name] = pa.nulls(len(indices), type=arrow_type(col))
                continue
            values = plan.value_at(seed, fk.references_table, target, picks).cast(arrow_type(col))
            if mask is not None:
                values = pc.if_else(mask, pa.scalar(None, values.type), values)
            decided[name] = values
    return decided


def dictionary_columns(table_plan: TablePlan) -> list[str]:
    """Columns with few distinct values, where Parquet dictionary encoding pays off.

    Trying a dictionary on high-cardinality columns (keys, amounts, timestamps) costs
    write time and falls back anyway.
    """
    out = []
    for plan in table_plan.columns:
        kind, data_type = plan.rule.kind, plan.column.data_type
        if plan.unique or kind == "foreign_key":
            continue
        if kind == "choices" or data_type in ("BOOLEAN", "CHAR"):
            out.append(plan.column.name)
        elif data_type == "VARCHAR" and kind != "pattern":
            out.append(plan.column.name)  # Faker and word pools hold a few thousand values
    return out


def write_shard_parquet(data: pa.Table, path: Path, dictionary: list[str] | None = None) -> int:
    """Write a shard as one zstd-compressed Parquet file; returns the number of rows.

    `dictionary` names the columns to dictionary-encode (all when None).
    """
    pq.write_table(
        data,
        path,
        compression="zstd",
        row_group_size=1024 * 1024,
        use_dictionary=True if dictionary is None else dictionary,
    )
    return data.num_rows


CHUNK_ROWS = 256 * 1024


def write_rows_parquet(
    experiment: Experiment,
    table_name: str,
    path: Path,
    *,
    seed: int,
    row_start: int,
    row_count: int,
    row_targets: dict[str, int] | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> int:
    """Generate rows `row_start .. row_start + row_count` into one zstd Parquet file.

    Rows are made in chunks of `chunk_rows` (one row group each) while a writer thread
    compresses the previous chunk: Arrow releases the GIL, so generating and writing
    overlap on two cores, and memory holds two chunks whatever the shard size. The file
    is a pure function of the arguments (the chunk size is part of the contract).
    """
    table = experiment.table(table_name)
    if table is None:
        raise KeyError(f"experiment {experiment.name!r} has no table {table_name!r}")
    schema = arrow_schema(experiment, table.name)
    plan = compile_plan(experiment, row_targets)
    options = {
        "compression": "zstd",
        "use_dictionary": dictionary_columns(plan.table(table.name)) or False,
    }
    written = 0
    with pq.ParquetWriter(path, schema, **options) as writer, ThreadPoolExecutor(1) as pool:
        pending: Future[None] | None = None
        for start in range(row_start, row_start + max(row_count, 1), chunk_rows):
            count = min(chunk_rows, row_start + row_count - start)
            if count <= 0 and written:
                break
            chunk = generate_shard(experiment, table.name, seed=seed, row_start=start,
                                   row_count=max(count, 0), plan=plan)  # fmt: skip
            if pending is not None:
                pending.result()
            pending = pool.submit(writer.write_table, chunk, row_group_size=max(len(chunk), 1))
            written += chunk.num_rows
        if pending is not None:
            pending.result()
    return written
