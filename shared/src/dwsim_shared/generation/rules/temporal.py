"""Dates, timestamps and times: `date_start`..`date_end` (defaults 2020-01-01..2024-12-31)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from dwsim_shared.experiment import TEMPORAL_TYPES, Experiment, Table
from dwsim_shared.generation.permutation import permute
from dwsim_shared.generation.rules.base import (
    EPOCH,
    MICROS_PER_DAY,
    Check,
    ColumnContext,
    Problem,
    Rule,
    days,
)

DEFAULT_DATE_START = dt.date(2020, 1, 1)
DEFAULT_DATE_END = dt.date(2024, 12, 31)


class TemporalRule(Rule):
    kind = "date_range"
    fields = ("date_start", "date_end")
    types = TEMPORAL_TYPES | {"TIME"}

    def day_bounds(self) -> tuple[int, int]:
        col = self.column
        return days(col.date_start or DEFAULT_DATE_START), days(col.date_end or DEFAULT_DATE_END)

    @property
    def bounded(self) -> bool:
        return self.column.date_start is not None and self.column.date_end is not None

    def problems(self, exp: Experiment, table: Table, rows: int, unique: bool) -> Iterator[Problem]:
        col = self.column
        if col.date_start and col.date_end and col.date_start > col.date_end:
            yield Problem(
                "date_end", f"date_start {col.date_start} is after date_end {col.date_end}"
            )
            return
        capacity = self.capacity(exp, {})
        if unique and capacity is not None and capacity < rows:
            if col.data_type == "TIME":
                yield Problem(
                    "is_unique", f"a unique TIME holds {capacity} values (one a second), not {rows}"
                )
            else:
                yield Problem(
                    "date_end",
                    f"unique date range {col.date_start}..{col.date_end} holds {capacity} days, fewer than target_rows {rows}",
                )

    def capacity(self, exp: Experiment, rows: dict[str, int]) -> int | None:
        kind = self.column.data_type
        if kind == "TIME":
            return 86_400
        if not self.bounded:
            return None
        start, end = self.day_bounds()
        return (end - start + 1) * (1 if kind == "DATE" else 86_400)

    def key_domain(self, exp: Experiment, rows: dict[str, int]) -> int | None:
        if self.column.data_type == "DATE" and self.bounded:
            start, end = self.day_bounds()
            return end - start + 1
        return None

    def soft_domain(self) -> int | None:
        """A date in a composite key with no range still covers the default years."""
        if self.column.data_type != "DATE" or self.bounded:
            return None
        start, end = self.day_bounds()
        return max(end - start + 1, 1)

    def generate(
        self, ctx: ColumnContext, indices: np.ndarray, rng: np.random.Generator
    ) -> pa.Array:
        n = len(indices)
        if self.column.data_type == "TIME":
            seconds = rng.integers(0, 86_400, size=n, dtype=np.int64)
            return pa.array(seconds * 1_000_000, type=pa.time64("us"))
        start, end = self.day_bounds()
        if self.column.data_type == "DATE":
            day_values = rng.integers(start, end, size=n, endpoint=True, dtype=np.int64)
            return pa.array(day_values.astype(np.int32), type=pa.date32())
        # One draw per row (a uniform second of the range), so row i's value never depends on
        # how many rows follow it: a sample's first rows equal a run's.
        seconds = rng.integers(start * 86_400, end * 86_400 + 86_399, size=n, endpoint=True,
                               dtype=np.int64)  # fmt: skip
        micros = seconds * 1_000_000
        return pa.array(micros, type=pa.timestamp("us")).cast(ctx.arrow_type)

    def value_at(
        self, ctx: ColumnContext, indices: np.ndarray, *, permuted: bool = True
    ) -> pa.Array:
        kind = self.column.data_type
        if kind == "TIME":
            return pa.array((indices % 86_400) * 1_000_000, type=pa.time64("us"))
        start, end = self.day_bounds()
        spread = permuted and self.bounded
        if kind == "DATE":
            offsets = (
                permute(indices, end - start + 1, ctx.permutation_key()) if spread else indices
            )
            return pa.array((start + offsets).astype(np.int32), type=pa.date32())
        seconds = (end - start + 1) * 86_400
        offsets = permute(indices, seconds, ctx.permutation_key()) if spread else indices
        micros = start * MICROS_PER_DAY + offsets * 1_000_000
        return pa.array(micros, type=pa.timestamp("us")).cast(ctx.arrow_type)

    def checks(self, rows: int, key_size: int | None = None) -> list[Check]:
        kind = self.column.data_type
        if kind == "TIME":
            return []
        start, end = self.day_bounds()
        if key_size is not None and not self.bounded:
            # an unbounded key walks days (DATE) or seconds (TIMESTAMP) from the start
            end = start + (key_size - 1 if kind == "DATE" else (key_size - 1) // 86_400)
        first, last = EPOCH + dt.timedelta(days=start), EPOCH + dt.timedelta(days=end)
        return [Check("date_range", {"min": first.isoformat(), "max": last.isoformat()})]
