"""`pattern` such as `"ORD-{########}"`: fixed-width strings (see `generation.patterns`)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from dwsim_shared.experiment import STRING_TYPES, Experiment, Table
from dwsim_shared.generation.patterns import pattern_capacity, pattern_strings, pattern_width
from dwsim_shared.generation.rules.base import Check, ColumnContext, Problem, Rule


class PatternRule(Rule):
    kind = "pattern"
    fields = ("pattern",)
    types = STRING_TYPES

    @property
    def pattern(self) -> str:
        assert self.column.pattern is not None
        return self.column.pattern

    def problems(self, exp: Experiment, table: Table, rows: int, unique: bool) -> Iterator[Problem]:
        col = self.column
        if col.data_type not in STRING_TYPES:
            yield Problem(
                "pattern", f"a pattern needs a VARCHAR or CHAR column, not {col.data_type}"
            )
            return
        width = pattern_width(self.pattern)
        if col.varchar_length is not None and width > col.varchar_length:
            yield Problem(
                "pattern",
                f"pattern {self.pattern!r} makes {width} characters, longer than {col.data_type}({col.varchar_length})",
            )
        capacity = pattern_capacity(self.pattern)
        if unique and capacity < rows:
            yield Problem(
                "pattern",
                f"pattern {self.pattern!r} makes {capacity} distinct values, fewer than target_rows {rows}",
            )

    def capacity(self, exp: Experiment, rows: dict[str, int]) -> int | None:
        return pattern_capacity(self.pattern)

    def generate(
        self, ctx: ColumnContext, indices: np.ndarray, rng: np.random.Generator
    ) -> pa.Array:
        return pattern_strings(self.pattern, indices, rng)

    def value_at(
        self, ctx: ColumnContext, indices: np.ndarray, *, permuted: bool = True
    ) -> pa.Array:
        return pattern_strings(self.pattern, indices, None)

    def checks(self, rows: int, key_size: int | None = None) -> list[Check]:
        width = pattern_width(self.pattern)
        return [Check("length", {"min": width, "max": width})]
