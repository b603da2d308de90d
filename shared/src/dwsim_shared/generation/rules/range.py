"""Numbers between `min_value` and `max_value` (uniform), and the numeric type defaults."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import numpy as np
import pyarrow as pa

from dwsim_shared.experiment import (
    INTEGER_LIMITS,
    INTEGER_TYPES,
    NUMERIC_TYPES,
    Column,
    Experiment,
    Table,
)
from dwsim_shared.generation.rules.base import Check, ColumnContext, Problem, Rule, integers_as
from dwsim_shared.generation.rules.unique import permuted_range

DEFAULT_INT_RANGE = (1, 1_000_000)
DEFAULT_FLOAT_RANGE = (0.0, 1000.0)


def decimal_largest(col: Column) -> float:
    precision, scale = col.decimal_precision_scale
    return 10 ** (precision - scale) - 10.0**-scale


class RangeRule(Rule):
    kind = "range"
    fields: ClassVar[tuple[str, ...]] = ("min_value", "max_value")
    types = NUMERIC_TYPES

    def bounds(self) -> tuple[float, float]:
        """The bounds values are drawn from (defaults where the document gives none)."""
        col = self.column
        if col.data_type in INTEGER_TYPES:
            low = int(col.min_value) if col.min_value is not None else DEFAULT_INT_RANGE[0]
            high = (
                int(col.max_value)
                if col.max_value is not None
                else min(DEFAULT_INT_RANGE[1], INTEGER_LIMITS[col.data_type])
            )
            return low, high
        low_f = col.min_value if col.min_value is not None else DEFAULT_FLOAT_RANGE[0]
        high_f = col.max_value if col.max_value is not None else DEFAULT_FLOAT_RANGE[1]
        if col.data_type == "DECIMAL":
            largest = decimal_largest(col)
            low_f, high_f = max(low_f, -largest), min(high_f, largest)
        return low_f, high_f

    def problems(self, exp: Experiment, table: Table, rows: int, unique: bool) -> Iterator[Problem]:
        col, kind = self.column, self.column.data_type
        if (
            col.min_value is not None
            and col.max_value is not None
            and col.min_value > col.max_value
        ):
            yield Problem(
                "max_value",
                f"min_value {col.min_value:g} is greater than max_value {col.max_value:g}",
            )
        if kind in INTEGER_TYPES:
            limit = INTEGER_LIMITS[kind]
            for field in ("min_value", "max_value"):
                value = getattr(col, field)
                if value is not None and not (-limit - 1 <= value <= limit):
                    yield Problem(
                        field, f"{field} {value:g} does not fit {kind} (-{limit + 1}..{limit})"
                    )
        if kind == "DECIMAL":
            yield from self._decimal_problems()
        if unique:
            yield from self._capacity_problems(rows)

    def _decimal_problems(self) -> Iterator[Problem]:
        col = self.column
        precision, scale = col.decimal_precision_scale
        if scale > precision:
            return  # reported for every DECIMAL column (experiment_checks)
        largest = decimal_largest(col)
        for field in ("min_value", "max_value"):
            value = getattr(col, field)
            if value is not None and abs(value) > largest:
                yield Problem(
                    field,
                    f"{field} {value:g} does not fit DECIMAL({precision},{scale}) (max {largest:g})",
                )

    def _capacity_problems(self, rows: int) -> Iterator[Problem]:
        col, kind = self.column, self.column.data_type
        capacity = self.capacity(None, {})  # type: ignore[arg-type]
        if capacity is None or capacity >= rows:
            return
        if kind in INTEGER_TYPES:
            low = col.min_value if col.min_value is not None else 1
            high = col.max_value if col.max_value is not None else INTEGER_LIMITS[kind]
            path = "max_value" if col.max_value is not None else "data_type"
            yield Problem(
                path,
                f"unique range {low:g}..{high:g} holds {capacity} values, fewer than target_rows {rows}",
            )
        elif kind == "DECIMAL":
            precision, scale = col.decimal_precision_scale
            yield Problem(
                "precision",
                f"DECIMAL({precision},{scale}) holds {capacity} distinct whole values, fewer than target_rows {rows}",
            )

    def capacity(self, exp: Experiment, rows: dict[str, int]) -> int | None:
        col, kind = self.column, self.column.data_type
        if kind in INTEGER_TYPES:
            low = col.min_value if col.min_value is not None else 1
            high = col.max_value if col.max_value is not None else INTEGER_LIMITS[kind]
            return int(high) - int(low) + 1
        if kind == "DECIMAL":
            precision, scale = col.decimal_precision_scale
            return int(10 ** (precision - scale))
        return None

    def key_domain(self, exp: Experiment, rows: dict[str, int]) -> int | None:
        col = self.column
        if (
            col.data_type in INTEGER_TYPES
            and col.min_value is not None
            and col.max_value is not None
        ):
            return int(col.max_value) - int(col.min_value) + 1
        return None

    def sample(self, low: float, high: float, n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.uniform(low, high, n)

    def generate(
        self, ctx: ColumnContext, indices: np.ndarray, rng: np.random.Generator
    ) -> pa.Array:
        col, n = self.column, len(indices)
        low, high = self.bounds()
        if col.data_type in INTEGER_TYPES:
            if col.distribution is None:
                values = rng.integers(int(low), int(high), size=n, endpoint=True, dtype=np.int64)
            else:
                values = np.rint(self.sample(low, high, n, rng)).astype(np.int64)
            return integers_as(pa.array(values, type=pa.int64()), ctx.arrow_type)
        if col.data_type == "DECIMAL":
            _, scale = col.decimal_precision_scale
            rounded = np.round(self.sample(low, high, n, rng), scale)
            return pa.array(rounded, type=pa.float64()).cast(ctx.arrow_type, safe=False)
        return pa.array(np.round(self.sample(low, high, n, rng), 4), type=pa.float64())

    def value_at(
        self, ctx: ColumnContext, indices: np.ndarray, *, permuted: bool = True
    ) -> pa.Array:
        col = self.column
        if permuted and col.min_value is not None and col.max_value is not None:
            values = permuted_range(ctx, indices, int(col.min_value), int(col.max_value))
        else:
            start = int(col.min_value) if col.min_value is not None else 1
            values = start + indices
        return integers_as(pa.array(values, type=pa.int64()), ctx.arrow_type)

    def checks(self, rows: int, key_size: int | None = None) -> list[Check]:
        col = self.column
        if key_size is not None and (col.min_value is None or col.max_value is None):
            start = int(col.min_value) if col.min_value is not None else 1
            return [Check("range", {"min": start, "max": start + max(key_size, 1) - 1})]
        low, high = self.bounds()
        return [Check("range", {"min": low, "max": high})]
