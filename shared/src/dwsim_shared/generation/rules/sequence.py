"""`sequence`: start + index * step (IDENTITY, AUTOINCREMENT, SERIAL columns)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from dwsim_shared.experiment import (
    DEFAULT_DECIMAL,
    INTEGER_LIMITS,
    INTEGER_TYPES,
    Experiment,
    Table,
)
from dwsim_shared.generation.rules.base import Check, ColumnContext, Problem, Rule, integers_as


class SequenceRule(Rule):
    kind = "sequence"
    fields = ("sequence",)
    types = INTEGER_TYPES | {"DECIMAL"}

    def _limit(self) -> int:
        if self.column.data_type in INTEGER_LIMITS:
            return INTEGER_LIMITS[self.column.data_type]
        precision, scale = self.column.decimal_precision_scale
        return int(10 ** (precision - scale)) - 1

    def last(self, rows: int) -> int:
        seq = self.column.sequence
        assert seq is not None
        return seq.start + (rows - 1) * seq.step

    def problems(self, exp: Experiment, table: Table, rows: int, unique: bool) -> Iterator[Problem]:
        col, seq = self.column, self.column.sequence
        assert seq is not None
        if col.data_type not in (self.types or ()):
            yield Problem("sequence", f"a sequence needs an integer column, not {col.data_type}")
            return
        if rows == 0:
            return
        last, limit = self.last(rows), self._limit()
        if not (-limit - 1 <= last <= limit):
            yield Problem(
                "sequence", f"the sequence reaches {last} at row {rows}, beyond {col.data_type}"
            )
        low, high = min(seq.start, last), max(seq.start, last)
        if col.min_value is not None and low < col.min_value:
            yield Problem(
                "min_value", f"the sequence reaches {low}, below min_value {col.min_value:g}"
            )
        if col.max_value is not None and high > col.max_value:
            yield Problem(
                "max_value",
                f"the sequence reaches {high} at row {rows}, above max_value {col.max_value:g}",
            )

    def capacity(self, exp: Experiment, rows: dict[str, int]) -> int | None:
        seq = self.column.sequence
        assert seq is not None
        if self.column.data_type not in INTEGER_TYPES and self.column.precision is None:
            precision = DEFAULT_DECIMAL[0]
            return int(10**precision) // abs(seq.step)
        limit = self._limit()
        room = limit - seq.start if seq.step > 0 else seq.start + limit + 1
        return max(room // abs(seq.step) + 1, 0)

    def _values(self, ctx: ColumnContext, indices: np.ndarray) -> pa.Array:
        seq = self.column.sequence
        assert seq is not None
        return integers_as(
            pa.array(seq.start + indices * seq.step, type=pa.int64()), ctx.arrow_type
        )

    def generate(
        self, ctx: ColumnContext, indices: np.ndarray, rng: np.random.Generator
    ) -> pa.Array:
        return self._values(ctx, indices)

    def value_at(
        self, ctx: ColumnContext, indices: np.ndarray, *, permuted: bool = True
    ) -> pa.Array:
        return self._values(ctx, indices)

    def checks(self, rows: int, key_size: int | None = None) -> list[Check]:
        if rows == 0:
            return []
        first, last = self.column.sequence.start, self.last(rows)  # type: ignore[union-attr]
        return [Check("range", {"min": min(first, last), "max": max(first, last)})]
