"""The constant/default rule of a column no rule field selects: what its type suggests.

Booleans are fair coins; strings are words from a seeded pool, cut to the column's length.
(`default` in the document is the DDL's DEFAULT for the warehouse, not a generation rule.)
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from dwsim_shared.experiment import Experiment, Table
from dwsim_shared.generation.faker_pools import faker_pool
from dwsim_shared.generation.rules.base import Check, ColumnContext, Problem, Rule
from dwsim_shared.generation.rules.faker import fit_length, length_checks
from dwsim_shared.generation.rules.unique import string_capacity, unique_strings


class BooleanRule(Rule):
    kind = "boolean"
    types = frozenset({"BOOLEAN"})

    def problems(self, exp: Experiment, table: Table, rows: int, unique: bool) -> Iterator[Problem]:
        if unique and rows > 2:
            yield Problem("is_unique", f"a unique BOOLEAN holds 2 values, not {rows}")

    def capacity(self, exp: Experiment, rows: dict[str, int]) -> int | None:
        return 2

    def key_domain(self, exp: Experiment, rows: dict[str, int]) -> int | None:
        return 2

    def generate(
        self, ctx: ColumnContext, indices: np.ndarray, rng: np.random.Generator
    ) -> pa.Array:
        return pa.array(rng.random(len(indices)) < 0.5, type=pa.bool_())

    def value_at(
        self, ctx: ColumnContext, indices: np.ndarray, *, permuted: bool = True
    ) -> pa.Array:
        return pa.array(indices % 2 == 1, type=pa.bool_())


class TextRule(Rule):
    kind = "text"
    types = frozenset({"VARCHAR", "CHAR"})

    def problems(self, exp: Experiment, table: Table, rows: int, unique: bool) -> Iterator[Problem]:
        capacity = self.capacity(exp, {})
        if unique and capacity is not None and capacity < rows:
            kind, length = self.column.data_type, self.column.varchar_length
            yield Problem(
                "varchar_length",
                f"{kind}({length}) holds at most {capacity} distinct values, fewer than target_rows {rows}",
            )

    def capacity(self, exp: Experiment, rows: dict[str, int]) -> int | None:
        return string_capacity(self.column.varchar_length)

    def generate(
        self, ctx: ColumnContext, indices: np.ndarray, rng: np.random.Generator
    ) -> pa.Array:
        pool = faker_pool(ctx.experiment.locale, "word", ctx.pool_seed())
        return fit_length(ctx, pool.take(pa.array(rng.integers(0, len(pool), size=len(indices)))))

    def value_at(
        self, ctx: ColumnContext, indices: np.ndarray, *, permuted: bool = True
    ) -> pa.Array:
        return unique_strings(ctx, indices)

    def checks(self, rows: int, key_size: int | None = None) -> list[Check]:
        return length_checks(self)
