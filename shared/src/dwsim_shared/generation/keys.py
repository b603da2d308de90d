"""Key columns as pure functions of the row index: single-column keys, composite keys and
the parent rows a foreign key points at.

Everything here depends on (seed, table, column, row index) only, so a child table
computes its parents' keys without reading them, and shards generate in any order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from dwsim_shared.experiment import INTEGER_TYPES, Column, Experiment, ParentSelection, Table
from dwsim_shared.generation.arrow_types import arrow_type
from dwsim_shared.generation.permutation import permute, zipf_ranks
from dwsim_shared.generation.randomness import stable_hash

MAX_DOMAIN = 2**62


@dataclass(frozen=True)
class KeySpace:
    """What the generator needs to compute any table's keys: the schema, seed and row counts."""

    experiment: Experiment
    seed: int
    row_targets: dict[str, int]

    def rows(self, table: Table) -> int:
        return self.row_targets.get(table.name, table.target_rows)

    def permutation_key(self, *parts: str) -> int:
        return (self.seed ^ stable_hash(".".join(p.lower() for p in parts))) & (2**62 - 1)


def composite_key_of(table: Table, column: Column) -> list[str] | None:
    """The first multi-column unique key the column belongs to, which decides its values."""
    name = column.name.lower()
    for key in table.joint_keys():
        if name in (k.lower() for k in key):
            return key
    return None


def _domain(space: KeySpace, table: Table, col: Column) -> int | None:
    """How many distinct values a composite-key column can take; None when unbounded."""
    if col.foreign_key is not None:
        parent = space.experiment.table(col.foreign_key.references_table)
        return max(1, space.rows(parent)) if parent is not None else None
    if col.choices is not None:
        return len(col.choices)
    if col.data_type == "BOOLEAN":
        return 2
    if (
        col.sequence is None
        and col.data_type in INTEGER_TYPES
        and col.min_value is not None
        and col.max_value is not None
    ):
        return int(col.max_value) - int(col.min_value) + 1
    if col.data_type == "DATE" and col.date_start and col.date_end:
        return (col.date_end - col.date_start).days + 1
    return None


def composite_domains(space: KeySpace, table: Table, key: list[str]) -> list[int]:
    """Domain sizes of the key's columns; unbounded ones get just enough for the row count."""
    columns = [table.column(n) for n in key]
    sizes = [_domain(space, table, c) if c is not None else None for c in columns]
    bounded = math.prod(s for s in sizes if s is not None)
    rows = max(1, space.rows(table))
    needed = max(1, -(-rows // max(1, bounded)))
    out: list[int] = []
    product = bounded
    for size in sizes:
        if size is None:
            size = needed if product * needed <= MAX_DOMAIN else 1
            product *= size
        out.append(size)
    return out


def composite_values(
    space: KeySpace, table: Table, key: list[str], indices: np.ndarray
) -> dict[str, pa.Array]:
    """Jointly unique values of a composite key: the row index is permuted over the product of
    the columns' domains and read as mixed-radix digits, one digit per column."""
    domains = composite_domains(space, table, key)
    total = math.prod(domains)
    spread = permute(indices, total, space.permutation_key(table.name, *key))
    values: dict[str, pa.Array] = {}
    for name, size in zip(reversed(key), reversed(domains), strict=True):
        digit = spread % size
        spread = spread // size
        col = table.column(name)
        assert col is not None
        values[col.name] = _digit_value(space, table, col, digit)
    return values


def _digit_value(space: KeySpace, table: Table, col: Column, digit: np.ndarray) -> pa.Array:
    if col.foreign_key is not None:
        parent = space.experiment.table(col.foreign_key.references_table)
        assert parent is not None
        return value_at(space, parent, col.foreign_key.references_column, digit).cast(
            arrow_type(col)
        )
    if col.choices is not None:
        return pa.array(col.choices).cast(arrow_type(col)).take(pa.array(digit))
    if col.data_type == "BOOLEAN":
        return pa.array(digit == 1, type=pa.bool_())
    from dwsim_shared.generation.columns import ColumnContext, key_values

    ctx = ColumnContext(space.experiment, table, col, space.seed, space.row_targets)
    return key_values(ctx, digit, permuted=False)


def value_at(space: KeySpace, table: Table, column: str, indices: np.ndarray) -> pa.Array:
    """The value a unique (or composite-key) column has at the given row indices."""
    from dwsim_shared.generation.columns import ColumnContext, key_values

    col = table.column(column)
    assert col is not None
    key = composite_key_of(table, col)
    if key is not None and not table.is_unique_column(col):
        return composite_values(space, table, key, indices)[col.name]
    return key_values(
        ColumnContext(space.experiment, table, col, space.seed, space.row_targets), indices
    )


def pick_parents(
    rng: np.random.Generator,
    count: int,
    parent_rows: int,
    selection: ParentSelection | None,
    key: int,
) -> np.ndarray:
    """Parent row indices for `count` children: uniform, or Zipf-skewed onto a few hot parents
    (scattered over the parent table by a permutation, not bunched at its start)."""
    if selection is None or selection.type == "uniform":
        return rng.integers(0, parent_rows, size=count, dtype=np.int64)
    ranks = zipf_ranks(rng.random(count), parent_rows, selection.s)
    return permute(ranks, parent_rows, key)
