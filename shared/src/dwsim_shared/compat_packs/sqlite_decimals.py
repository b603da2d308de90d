"""Exact DECIMAL aggregates for SQLite, which stores a DECIMAL(p,s) value as a REAL.

A stored value comes from a DECIMAL of at most 15 significant digits, so the shortest text that
reads back as its float (`repr`) is the decimal that was loaded: the aggregates sum those
decimals exactly, then answer a float when the exact result survives the trip through one
(it does up to 15 significant digits), else its exact text.
"""

from __future__ import annotations

import decimal
from typing import Any

_CONTEXT = decimal.Context(prec=80, rounding=decimal.ROUND_HALF_UP)


def as_decimal(value: Any) -> decimal.Decimal | None:
    if value is None:
        return None
    if isinstance(value, float):
        return decimal.Decimal(repr(value))
    return decimal.Decimal(value) if isinstance(value, int) else decimal.Decimal(str(value))


def _answer(value: decimal.Decimal, scale: int) -> float | str:
    exact = value.quantize(decimal.Decimal(1).scaleb(-scale), context=_CONTEXT)
    as_float = float(exact)
    return as_float if decimal.Decimal(repr(as_float)) == exact else format(exact, "f")


class DecimalSum:
    """`dwsim_decimal_sum(value, scale)`: SUM of DECIMAL values, exact at the scale."""

    def __init__(self) -> None:
        self.total: decimal.Decimal | None = None
        self.scale = 0
        self.seen = 0  # values in the frame (a frame of NULLs only sums to NULL)

    def step(self, value: Any, scale: Any) -> None:
        number = as_decimal(value)
        self.scale = int(scale)
        if number is not None:
            self.total = number if self.total is None else _CONTEXT.add(self.total, number)
            self.seen += 1

    def inverse(self, value: Any, scale: Any) -> None:
        """A row leaving a window frame (SQLite's aggregate window functions)."""
        number = as_decimal(value)
        if number is not None and self.total is not None:
            self.total = _CONTEXT.subtract(self.total, number)
            self.seen -= 1

    def value(self) -> float | str | None:
        return self.finalize()

    def finalize(self) -> float | str | None:
        if self.total is None or not self.seen:
            return None
        return _answer(self.total, self.scale)


class DecimalAvg(DecimalSum):
    """`dwsim_decimal_avg(value, scale)`: AVG of DECIMAL values, rounded half away from zero
    to the scale the source gives the result."""

    def finalize(self) -> float | str | None:
        if self.total is None or not self.seen:
            return None
        return _answer(_CONTEXT.divide(self.total, decimal.Decimal(self.seen)), self.scale)


# Registered as window functions: SQLite uses those as plain aggregates as well.
WINDOW_AGGREGATES = {"dwsim_decimal_sum": (DecimalSum, 2), "dwsim_decimal_avg": (DecimalAvg, 2)}
