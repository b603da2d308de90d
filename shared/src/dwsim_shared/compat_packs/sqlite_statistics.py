"""Snowflake's two-argument statistical aggregates for SQLite: CORR, COVAR_POP, COVAR_SAMP,
the REGR_ family, MIN_BY and MAX_BY. Each is a window function too (SQLite calls `inverse` for
the rows that leave a moving frame). Pairs with a NULL on either side are skipped, as the
references say; the results are doubles, computed in two passes from the pairs kept."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Pairs = list[tuple[float, float]]


def _moments(pairs: Pairs) -> tuple[int, float, float, float, float, float]:
    """(n, mean of y, mean of x, Syy, Sxx, Sxy) of the (y, x) pairs."""
    n = len(pairs)
    my = sum(p[0] for p in pairs) / n
    mx = sum(p[1] for p in pairs) / n
    syy = sum((p[0] - my) ** 2 for p in pairs)
    sxx = sum((p[1] - mx) ** 2 for p in pairs)
    sxy = sum((p[0] - my) * (p[1] - mx) for p in pairs)
    return n, my, mx, syy, sxx, sxy


def _corr(pairs: Pairs) -> float | None:
    _, _, _, syy, sxx, sxy = _moments(pairs)
    return None if sxx == 0 or syy == 0 else sxy / (sxx * syy) ** 0.5


def _slope(pairs: Pairs) -> float | None:
    _, _, _, _, sxx, sxy = _moments(pairs)
    return None if sxx == 0 else sxy / sxx


def _intercept(pairs: Pairs) -> float | None:
    _, my, mx, _, sxx, sxy = _moments(pairs)
    return None if sxx == 0 else my - sxy / sxx * mx


def _r2(pairs: Pairs) -> float | None:
    _, _, _, syy, sxx, sxy = _moments(pairs)
    if sxx == 0:
        return None
    return 1.0 if syy == 0 else sxy * sxy / (sxx * syy)


def _covar_samp(pairs: Pairs) -> float | None:
    n, *_, sxy = _moments(pairs)
    return None if n < 2 else sxy / (n - 1)


# Each statistic of the non-empty list of pairs (an empty group is NULL for all but REGR_COUNT).
STATISTICS: dict[str, Callable[[Pairs], float | None]] = {
    "corr": _corr,
    "covar_pop": lambda p: _moments(p)[5] / len(p),
    "covar_samp": _covar_samp,
    "regr_slope": _slope,
    "regr_intercept": _intercept,
    "regr_r2": _r2,
    "regr_avgy": lambda p: _moments(p)[1],
    "regr_avgx": lambda p: _moments(p)[2],
    "regr_syy": lambda p: _moments(p)[3],
    "regr_sxx": lambda p: _moments(p)[4],
    "regr_sxy": lambda p: _moments(p)[5],
}


def _pair(y: Any, x: Any) -> tuple[float, float] | None:
    """Both sides as doubles, or None when either is NULL; text that is no number fails even
    beside a NULL, as the typed engines fail converting the column."""
    yy, xx = (None if v is None else float(v) for v in (y, x))
    return None if yy is None or xx is None else (yy, xx)


class _PairAggregate:
    statistic: Callable[[Pairs], float | None] = staticmethod(_corr)

    def __init__(self) -> None:
        self.pairs: Pairs = []

    def step(self, y: Any, x: Any) -> None:
        pair = _pair(y, x)
        if pair is not None:
            self.pairs.append(pair)

    def inverse(self, y: Any, x: Any) -> None:
        pair = _pair(y, x)
        if pair is not None:
            self.pairs.remove(pair)

    def value(self) -> Any:
        return self.finalize()

    def finalize(self) -> Any:
        return type(self).statistic(self.pairs) if self.pairs else None


class RegrCount(_PairAggregate):
    def finalize(self) -> Any:
        return len(self.pairs)


def _pair_class(name: str) -> type:
    return type(f"Pair_{name}", (_PairAggregate,), {"statistic": staticmethod(STATISTICS[name])})


class MinBy:
    """The first argument of the row whose second is the least (NULL keys skipped; the first
    such row on a tie, as the rows come)."""

    descending = False

    def __init__(self) -> None:
        self.rows: list[tuple[Any, Any]] = []

    def step(self, value: Any, key: Any) -> None:
        if key is not None:
            self.rows.append((value, key))

    def inverse(self, value: Any, key: Any) -> None:
        if key is not None:
            self.rows.remove((value, key))

    def value(self) -> Any:
        return self.finalize()

    def finalize(self) -> Any:
        if not self.rows:
            return None
        pick = max if self.descending else min
        best = pick(row[1] for row in self.rows)
        return next(row[0] for row in self.rows if row[1] == best)


class MaxBy(MinBy):
    descending = True


class Kurtosis:
    """Snowflake's KURTOSIS: the bias-corrected excess kurtosis of the non-NULL values (NULL
    for fewer than 4 or no spread); SKEW (`Skew`) the sample skewness (fewer than 3)."""

    least = 4

    def __init__(self) -> None:
        self.values: list[int | float] = []

    @staticmethod
    def _number(value: Any) -> int | float:
        return value if isinstance(value, int) else float(value)

    def step(self, value: Any) -> None:
        if value is not None:
            self.values.append(self._number(value))

    def inverse(self, value: Any) -> None:
        if value is not None:
            self.values.remove(self._number(value))

    def value(self) -> Any:
        return self.finalize()

    def finalize(self) -> float | None:
        n = len(self.values)
        if n < self.least or min(self.values) == max(self.values):
            return None
        # Shifted by the first value before any power (integers exactly): a large common
        # offset (1e15 + 1, 2, 4, 10; or integers past 2^53) keeps its digits.
        first = self.values[0]
        v = [float(x - first) for x in self.values]
        mean = sum(v) / n
        s2 = sum((x - mean) ** 2 for x in v) / (n - 1)
        return None if s2 == 0 else self.moment(v, n, mean, s2)

    @staticmethod
    def moment(v: list[float], n: int, mean: float, s2: float) -> float:
        fourth = sum((x - mean) ** 4 for x in v) / s2**2
        corrected = n * (n + 1) / ((n - 1) * (n - 2) * (n - 3)) * fourth
        return corrected - 3 * (n - 1) ** 2 / ((n - 2) * (n - 3))


class Skew(Kurtosis):
    least = 3

    @staticmethod
    def moment(v: list[float], n: int, mean: float, s2: float) -> float:
        return n / ((n - 1) * (n - 2)) * sum((x - mean) ** 3 for x in v) / s2**1.5


WINDOW_AGGREGATES: dict[str, tuple[type, int]] = {
    "dwsim_kurtosis": (Kurtosis, 1),
    "dwsim_skew": (Skew, 1),
    **{f"dwsim_{name}": (_pair_class(name), 2) for name in STATISTICS},
    "dwsim_regr_count": (RegrCount, 2),
    "dwsim_min_by": (MinBy, 2),
    "dwsim_max_by": (MaxBy, 2),
}
