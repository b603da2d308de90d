"""`foreign_key`: a parent row index is picked (uniform or Zipf) and the parent's key computed
there, so the parent table is never read. A foreign key that is also unique (one-to-one)
walks the parent rows in a keyed permutation instead, so no parent is used twice."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from dwsim_shared.experiment import (
    INTEGER_TYPES,
    STRING_TYPES,
    Column,
    Experiment,
    ParentSelection,
    Table,
)
from dwsim_shared.generation.permutation import permute, zipf_ranks
from dwsim_shared.generation.randomness import stable_hash
from dwsim_shared.generation.rules.base import ColumnContext, Problem, Rule


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


def parents_key(seed: int, *parts: str) -> int:
    return (seed ^ stable_hash(".".join(p.lower() for p in parts))) & (2**62 - 1)


def type_family(col: Column) -> str:
    if col.data_type in INTEGER_TYPES or (col.data_type == "DECIMAL" and (col.scale or 0) == 0):
        return "integer"
    if col.data_type in STRING_TYPES:
        return "string"
    return col.data_type


def reference_problems(
    exp: Experiment,
    table: Table,
    columns: list[str],
    parent_name: str,
    targets: list[str],
    nullable: bool,
    rows: dict[str, int] | None = None,
) -> Iterator[str]:
    """Why `table.(columns)` cannot reference `parent_name.(targets)`, if it cannot."""
    where = (
        f"{table.name}.({', '.join(columns)})" if len(columns) > 1 else f"{table.name}.{columns[0]}"
    )
    parent = exp.table(parent_name)
    if parent is None:
        names = ", ".join(t.name for t in exp.tables)
        yield f"{where} references missing table {parent_name!r} (tables: {names})"
        return
    missing = [t for t in targets if parent.column(t) is None]
    if missing:
        yield f"{where} references missing column {parent.name}.{missing[0]}"
        return
    if not parent.is_unique_set(targets):
        target = f"({', '.join(targets)})" if len(targets) > 1 else targets[0]
        yield (
            f"{where} references {parent.name}.{target}, which is not unique "
            "(neither a primary key nor a unique constraint)"
        )
        return
    for name, target in zip(columns, targets, strict=True):
        child_col, parent_col = table.column(name), parent.column(target)
        assert child_col is not None and parent_col is not None
        if type_family(child_col) != type_family(parent_col):
            yield (
                f"{table.name}.{child_col.name} is {child_col.data_type} but references "
                f"{parent.name}.{parent_col.name} of type {parent_col.data_type}"
            )
    parent_rows = (rows or {}).get(parent.name, parent.target_rows)
    child_rows = (rows or {}).get(table.name, table.target_rows)
    if parent_rows == 0 and child_rows > 0 and not nullable:
        yield f"{where} is required but {parent.name} has 0 rows"


class ForeignKeyRule(Rule):
    kind = "foreign_key"
    fields = ("foreign_key",)

    def parent(self, exp: Experiment) -> Table | None:
        assert self.column.foreign_key is not None
        return exp.table(self.column.foreign_key.references_table)

    def problems(self, exp: Experiment, table: Table, rows: int, unique: bool) -> Iterator[Problem]:
        fk = self.column.foreign_key
        assert fk is not None
        for message in reference_problems(
            exp,
            table,
            [self.column.name],
            fk.references_table,
            [fk.references_column],
            self.column.nullable,
        ):
            yield Problem("foreign_key", message)
        parent = self.parent(exp)
        if unique and parent is not None and parent.target_rows < rows:
            yield Problem(
                "foreign_key",
                f"a unique foreign key needs a parent row each: {parent.name} has "
                f"{parent.target_rows} rows, fewer than target_rows {rows}",
            )

    def capacity(self, exp: Experiment, rows: dict[str, int]) -> int | None:
        parent = self.parent(exp)
        return None if parent is None else rows.get(parent.name, parent.target_rows)

    def key_domain(self, exp: Experiment, rows: dict[str, int]) -> int | None:
        parent = self.parent(exp)
        return None if parent is None else max(1, rows.get(parent.name, parent.target_rows))

    def _parent_values(self, ctx: ColumnContext, parent_index: np.ndarray) -> pa.Array:
        fk = self.column.foreign_key
        assert fk is not None and ctx.plan is not None
        return ctx.plan.value_at(
            ctx.seed, fk.references_table, fk.references_column, parent_index
        ).cast(ctx.arrow_type)

    def generate(
        self, ctx: ColumnContext, indices: np.ndarray, rng: np.random.Generator
    ) -> pa.Array:
        fk = self.column.foreign_key
        assert fk is not None and ctx.plan is not None
        parent_rows = ctx.plan.rows(fk.references_table)
        if parent_rows == 0:
            return pa.nulls(len(indices), type=ctx.arrow_type)
        key = parents_key(ctx.seed, ctx.table.name, self.column.name, "parents")
        picks = pick_parents(rng, len(indices), parent_rows, fk.parent_selection, key)
        return self._parent_values(ctx, picks)

    def value_at(
        self, ctx: ColumnContext, indices: np.ndarray, *, permuted: bool = True
    ) -> pa.Array:
        """One-to-one: row i gets the parent at a keyed permutation of i (a key digit: parent i)."""
        fk = self.column.foreign_key
        assert fk is not None and ctx.plan is not None
        if permuted:
            parent_rows = max(1, ctx.plan.rows(fk.references_table))
            indices = permute(indices, parent_rows, ctx.permutation_key())
        return self._parent_values(ctx, indices)
