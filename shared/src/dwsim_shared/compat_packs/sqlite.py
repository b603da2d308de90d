"""The SQLite function pack: `register_compat(conn)` on every connection that runs queries."""

from __future__ import annotations

import collections
import decimal
import math
import re
import sqlite3
import threading
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any

from dwsim_shared.compat_packs import (
    number_models,
    sqlite_arrays,
    sqlite_arrays_more,
    sqlite_breadth,
    sqlite_dates,
    sqlite_decimals,
    sqlite_functions,
    sqlite_json,
    sqlite_json_conversions,
    sqlite_redshift_arrays,
    sqlite_redshift_super,
    sqlite_statistics,
    time_slice,
)

PACK_VERSION = 1


@lru_cache(maxsize=256)
def _regex(pattern: str, flags: str = "") -> re.Pattern[str]:
    return re.compile(sqlite_functions.posix_classes(pattern), re.IGNORECASE if "i" in flags else 0)


def regexp(pattern: Any, value: Any) -> int | None:
    """SQLite's `x REGEXP y` operator calls regexp(y, x)."""
    if pattern is None or value is None:
        return None
    return int(_regex(str(pattern)).search(str(value)) is not None)


def regexp_like(value: Any, pattern: Any, flags: Any = "") -> int | None:
    if pattern is None or value is None:
        return None
    return int(_regex(str(pattern), flags or "").search(str(value)) is not None)


def similar_to(value: Any, pattern: Any) -> int | None:
    """SQL's SIMILAR TO: `%` and `_` as in LIKE, the rest a regular expression, whole string."""
    if pattern is None or value is None:
        return None
    regex = "".join(".*" if ch == "%" else "." if ch == "_" else ch for ch in str(pattern))
    return int(_regex(f"(?:{regex})\\Z").match(str(value)) is not None)


def split_part(value: Any, delimiter: Any, index: Any) -> str | None:
    if value is None or delimiter is None or index is None:
        return None
    parts = str(value).split(str(delimiter)) if delimiter != "" else [str(value)]
    n = int(index)
    if n < 0:  # Snowflake counts from the end
        n = len(parts) + n + 1
    return parts[n - 1] if 1 <= n <= len(parts) else ""


def strtok(value: Any, delimiters: Any = " ", index: Any = 1) -> str | None:
    if value is None or delimiters is None or index is None:
        return None
    if delimiters == "":  # the whole string is one token (none when it is empty)
        tokens = [str(value)] if value != "" else []
    else:
        tokens = [t for t in re.split(f"[{re.escape(str(delimiters))}]", str(value)) if t]
    n = int(index)
    return tokens[n - 1] if 1 <= n <= len(tokens) else None


def repeat(value: Any, times: Any) -> str | None:
    """REPEAT (Redshift's REPLICATE): a count of zero or less repeats nothing; a count that is
    not an integer fails, as on the strictly typed engines."""
    if value is None or times is None:
        return None
    if isinstance(times, float) or not _INTEGER_TEXT.fullmatch(str(times)):
        raise ValueError(f"the count {times!r} is not an integer")
    return str(value) * max(0, int(str(times)))


def editdistance(a: Any, b: Any) -> int | None:
    if a is None or b is None:
        return None
    s, t = str(a), str(b)
    previous = list(range(len(t) + 1))
    for i, cs in enumerate(s, 1):
        current = [i]
        for j, ct in enumerate(t, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (cs != ct)))
        previous = current
    return previous[-1]


def _decimal(value: Any) -> decimal.Decimal:
    try:
        return decimal.Decimal(repr(value) if isinstance(value, float) else str(value))
    except decimal.InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None


def round_half_away(value: Any, places: Any = 0) -> float | int | None:
    """ROUND as both warehouses do it on exact numbers: halves away from zero."""
    if value is None or places is None:
        return None
    quantum = decimal.Decimal(1).scaleb(-int(places))
    try:
        rounded = _decimal(value).quantize(quantum, rounding=decimal.ROUND_HALF_UP)
    except decimal.InvalidOperation:  # more places than the value has digits: no effect
        return value
    return int(rounded) if int(places) <= 0 and isinstance(value, int) else float(rounded)


def trunc(value: Any, places: Any = 0) -> float | int | None:
    if value is None or places is None:
        return None
    quantum = decimal.Decimal(1).scaleb(-int(places))
    try:
        cut = _decimal(value).quantize(quantum, rounding=decimal.ROUND_DOWN)
    except decimal.InvalidOperation:  # more places than the value has digits: no effect
        return value
    return int(cut) if int(places) <= 0 else float(cut)


def try_number(value: Any) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return value
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def divisor(value: Any, dividend: Any) -> Any:
    """The divisor of `dividend / value`, failing where both sources fail: on zero, unless the
    dividend is NULL (NULL / 0 is NULL there). SQLite answers NULL for any `x / 0`."""
    if (
        dividend is not None
        and value is not None
        and not isinstance(value, bytes)
        and try_number(value) == 0
    ):
        raise ZeroDivisionError("division by zero")
    return value


_NUMBER_TEXT = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")


def number_argument(value: Any) -> Any:
    """A numeric function's argument as both sources read it: a number, or text spelling one
    (converted); other text fails as the source fails (Snowflake: "Numeric value 'abc' is not
    recognized"), where SQLite would read it as 0 or answer NULL."""
    if value is None or isinstance(value, int | float):
        return value
    if isinstance(value, str) and _NUMBER_TEXT.fullmatch(value):
        if _INTEGER_TEXT.fullmatch(value):
            return int(value)
        return float(value)
    shown = value if isinstance(value, str) else "binary"
    raise ValueError(f"Numeric value '{shown}' is not recognized")


def in_domain(value: Any, name: str) -> Any:
    """The argument of LN, LOG, SQRT, ACOS, ASIN or EXP, failing where both sources fail (SQLite
    answers NULL or infinity): a logarithm of zero or less, a square root of a negative number,
    an arc sine or cosine outside [-1, 1], an EXP past DOUBLE PRECISION's range."""
    if value is None:
        return None
    number = float(value)
    if name in ("LN", "LOG") and number <= 0:
        raise ValueError(
            f"cannot take logarithm of {'zero' if number == 0 else 'a negative number'}"
        )
    if name == "SQRT" and number < 0:
        raise ValueError("cannot take square root of a negative number")
    if name in ("ACOS", "ASIN") and not -1 <= number <= 1:
        raise ValueError(f"{name} is undefined outside [-1, 1]")
    if name == "EXP" and number > 709.782712893384:
        raise ValueError("value out of range: overflow")
    return value


_INTEGER_NAMES = {16: "smallint", 32: "integer", 64: "bigint"}


def int_range(value: Any, bits: int) -> Any:
    """The result of Redshift integer arithmetic in a type of `bits` bits, failing past its
    range as Redshift does ("integer out of range"); SQLite computed it in 64 bits, and past
    them in REAL."""
    if value is None or isinstance(value, str | bytes):
        return value
    if not -(1 << (bits - 1)) <= value < (1 << (bits - 1)):
        raise ValueError(f"{_INTEGER_NAMES.get(bits, 'integer')} out of range")
    return value


_INTEGER_TEXT = re.compile(r"\s*[+-]?[0-9]+\s*")


def integer_text(value: Any) -> Any:
    """Text cast to an integer in Redshift must spell one (CAST('12.5' AS INT) fails there)."""
    if isinstance(value, str) and not _INTEGER_TEXT.fullmatch(value):
        raise ValueError(f'invalid input syntax for type integer: "{value}"')
    return value


def to_boolean(value: Any) -> int | None:
    """Snowflake's TO_BOOLEAN: the words it knows (any case), or a number (TRUE unless 0)."""
    if value is None:
        return None
    if isinstance(value, int | float):
        return int(value != 0)
    word = str(value).lower()
    if word in ("true", "t", "yes", "y", "on", "1"):
        return 1
    if word in ("false", "f", "no", "n", "off", "0"):
        return 0
    raise ValueError(f"Boolean value '{value}' is not recognized")


def to_double(value: Any, safe: Any) -> float | None:
    """Snowflake's TO_DOUBLE (TRY_TO_DOUBLE with `safe`) of text: a number, 'inf', '-inf' or
    'NaN' (any case); other text fails (NULL) where SQLite would read 0.0."""
    if value is None or isinstance(value, int | float):
        return None if value is None else float(value)
    text = str(value).strip()
    if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?inf|nan", text, re.IGNORECASE):
        number = float(text)
        if math.isnan(number):  # SQLite stores NaN as NULL: fail rather than answer NULL
            raise ValueError("NaN has no value on the SQLite engine")
        return number
    if safe:
        return None
    raise ValueError(f"Numeric value '{value}' is not recognized")


def to_number(value: Any, model: Any = None) -> float | int | None:
    if value is None:
        return None
    text = str(value).strip()
    negative = False
    if model is not None:
        text = text.replace(",", "").replace("$", "").replace(" ", "")
        if text.endswith("-") or (text.startswith("<") and text.endswith(">")):
            # a trailing sign (S, MI) or angle brackets (PR) in the format: a negative number
            negative, text = True, text.strip("<>").removesuffix("-")
        elif text.endswith("+"):
            text = text[:-1]
    number = try_number(text)
    if number is not None and negative:
        number = -number
    if number is None:
        raise ValueError(f"{value!r} is not a number")
    return number


class _Collect:
    """Base of the aggregates: keep the (value, sort keys) rows, answer at the end."""

    def __init__(self) -> None:
        self.rows: list[tuple[Any, ...]] = []


class BitAnd:
    """BIT_AND of integers (NULLs skipped; NULL when there are none); other values fail."""

    def __init__(self) -> None:
        self.bits: int | None = None

    def step(self, value: Any) -> None:
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{value!r} is not an integer")
        self.bits = value if self.bits is None else self.combine(self.bits, value)

    @staticmethod
    def combine(a: int, b: int) -> int:
        return a & b

    def finalize(self) -> int | None:
        return self.bits


class BitOr(BitAnd):
    @staticmethod
    def combine(a: int, b: int) -> int:
        return a | b


class BitXor(BitAnd):
    @staticmethod
    def combine(a: int, b: int) -> int:
        return a ^ b


class Median(_Collect):
    def step(self, value: Any) -> None:
        if value is not None:
            self.rows.append((value,))

    def finalize(self) -> float | None:
        return _percentile_cont(sorted(r[0] for r in self.rows), 0.5)


def _percentile_cont(values: list[Any], p: float) -> float | None:
    if not values:
        return None
    position = p * (len(values) - 1)
    low, high = math.floor(position), math.ceil(position)
    return float(values[low] + (values[high] - values[low]) * (position - low))


class PercentileCont(_Collect):
    def step(self, p: Any, value: Any, descending: Any = 0) -> None:
        fraction = float(p)
        if not 0 <= fraction <= 1:  # both warehouses refuse it too
            raise ValueError(f"the percentile {p} is not between 0 and 1")
        self.p, self.desc = fraction, bool(descending)
        if value is not None:
            self.rows.append((value,))

    def finalize(self) -> float | None:
        values = sorted((r[0] for r in self.rows), reverse=getattr(self, "desc", False))
        return _percentile_cont(values, getattr(self, "p", 0.5))


class PercentileDisc(PercentileCont):
    def finalize(self) -> Any:
        values = sorted((r[0] for r in self.rows), reverse=getattr(self, "desc", False))
        if not values:
            return None
        index = max(0, math.ceil(self.p * len(values)) - 1)
        return values[index]


def _ordered(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows (value, keys, directions) in ORDER BY order; NULLs last ascending, first descending,
    as both warehouses sort by default. Stable sorts, last key first."""
    if not rows:
        return rows
    for i in reversed(range(len(rows[0][1]))):
        desc = bool(rows[0][2][i])
        present = sorted(
            (r for r in rows if r[1][i] is not None), key=lambda r: r[1][i], reverse=desc
        )
        missing = [r for r in rows if r[1][i] is None]
        rows = missing + present if desc else present + missing
    return rows


class ListAgg(_Collect):
    """dwsim_listagg(value, separator, distinct, key1, desc1, key2, desc2, ...)."""

    def step(self, value: Any, separator: Any, distinct: Any, *order: Any) -> None:
        self.separator, self.distinct = separator, bool(distinct)
        if value is not None:
            self.rows.append((str(value), order[0::2], order[1::2]))

    def finalize(self) -> str | None:
        if not self.rows:
            return None
        rows = _ordered(self.rows)
        values = [r[0] for r in rows]
        if self.distinct:
            values = list(dict.fromkeys(values))
        return str(self.separator or "").join(values)


def _text_fn(fn: Any) -> Any:
    def wrapped(*args: Any) -> Any:
        return None if any(a is None for a in args) else fn(*args)

    return wrapped


def _pad(value: str, width: int, fill: str = " ", left: bool = True) -> str:
    width = int(width)
    if width <= 0:  # both sources: a length of zero or less is the empty string
        return ""
    if len(value) >= width:
        return value[:width]
    padding = (fill * width)[: width - len(value)] if fill else ""
    return padding + value if left else value + padding


class StdDev(_Collect):
    """Sample standard deviation (STDDEV, STDDEV_SAMP); VARIANCE with `power` 1."""

    power, population = 0.5, False

    def step(self, value: Any) -> None:
        if value is not None:
            self.rows.append((float(value),))

    def finalize(self) -> float | None:
        values = [r[0] for r in self.rows]
        count = len(values) - (0 if self.population else 1)
        if count <= 0:
            return None
        mean = sum(values) / len(values)
        return float((sum((v - mean) ** 2 for v in values) / count) ** self.power)


class Variance(StdDev):
    power = 1.0


class StdDevPop(StdDev):
    population = True


class VarPop(Variance):
    population = True


def _cased(v: Any, upper: bool) -> str:
    """Every letter's case changed, not only ASCII's (SQLite's own LOWER / UPPER change A-Z
    only); a letter whose other case is two letters (ß) stays, as PostgreSQL keeps it."""
    changed = (c.upper() if upper else c.lower() for c in str(v))
    return "".join(new if len(new) == 1 else old for new, old in zip(changed, str(v), strict=True))


SCALARS = {
    "reverse": (_text_fn(lambda v: str(v)[::-1]), 1),
    "lower": (_text_fn(lambda v: _cased(v, False)), 1),
    "upper": (_text_fn(lambda v: _cased(v, True)), 1),
    "lpad": (_text_fn(lambda v, w, f=" ": _pad(str(v), w, str(f), True)), -1),
    "rpad": (_text_fn(lambda v, w, f=" ": _pad(str(v), w, str(f), False)), -1),
    "dwsim_left": (_text_fn(lambda v, n: str(v)[: max(0, int(n))]), 2),
    "dwsim_right": (_text_fn(lambda v, n: str(v)[len(str(v)) - int(n):] if int(n) > 0 else ""), 2),
    "initcap": (_text_fn(lambda v: re.sub(r"[A-Za-z0-9]+", lambda m: m.group(0).capitalize(), str(v))), 1),
    "concat": (_text_fn(lambda *v: "".join(str(x) for x in v)), -1),
    "regexp": (regexp, 2), "regexp_like": (regexp_like, -1),
    "dwsim_similar_to": (similar_to, 2), "split_part": (split_part, 3), "strtok": (strtok, -1),
    "editdistance": (editdistance, 2), "dwsim_repeat": (repeat, 2), "dwsim_round": (round_half_away, -1),
    "dwsim_trunc": (trunc, -1), "dwsim_try_number": (try_number, 1),
    "dwsim_to_number": (to_number, -1), "dwsim_divisor": (divisor, 2),
    "dwsim_integer_text": (integer_text, 1), "dwsim_sf_number": (number_models.to_decimal, 6),
    "dwsim_number_arg": (number_argument, 1), "dwsim_in_domain": (in_domain, 2),
    "dwsim_int_range": (int_range, 2),
    **sqlite_dates.FUNCTIONS,
    **sqlite_functions.FUNCTIONS,
    **sqlite_breadth.FUNCTIONS,
    **sqlite_arrays.FUNCTIONS,
    **sqlite_arrays_more.FUNCTIONS,
    **sqlite_redshift_super.FUNCTIONS,
    **sqlite_redshift_arrays.FUNCTIONS,
    "dwsim_try_to_boolean": (sqlite_functions.try_(to_boolean), 1),
    **sqlite_json.FUNCTIONS,
    **sqlite_json_conversions.FUNCTIONS,
    "dwsim_try_date": (sqlite_functions.try_(sqlite_dates.cast_date), 1),
    "dwsim_try_timestamp": (sqlite_functions.try_(sqlite_dates.cast_timestamp), 1),
    "dwsim_time_slice": (time_slice.time_slice, 4), "dwsim_to_boolean": (to_boolean, 1),
    "dwsim_to_double": (to_double, 2),
    "dwsim_try_to_date": (sqlite_functions.try_(sqlite_dates.to_date), 3),
    "dwsim_try_to_timestamp": (sqlite_functions.try_(sqlite_dates.to_timestamp), 3),
}  # fmt: skip
AGGREGATES = {
    "dwsim_median": (Median, 1), "dwsim_percentile_cont": (PercentileCont, -1),
    "dwsim_percentile_disc": (PercentileDisc, -1), "dwsim_listagg": (ListAgg, -1),
    "stddev": (StdDev, 1), "stddev_samp": (StdDev, 1), "variance": (Variance, 1),
    "var_samp": (Variance, 1), "stddev_pop": (StdDevPop, 1), "var_pop": (VarPop, 1),
    "variance_pop": (VarPop, 1), "dwsim_bit_and": (BitAnd, 1), "dwsim_bit_or": (BitOr, 1),
    "dwsim_bit_xor": (BitXor, 1),
}  # fmt: skip


class Mode:
    """Snowflake's MODE: the most frequent non-NULL value (of tied ones, the smallest)."""

    def __init__(self) -> None:
        self.counts: collections.Counter[Any] = collections.Counter()

    def step(self, value: Any) -> None:
        if value is not None:
            self.counts[value] += 1

    def inverse(self, value: Any) -> None:
        if value is not None:
            self.counts[value] -= 1

    def value(self) -> Any:
        return self.finalize()

    def finalize(self) -> Any:
        top = max(self.counts.values(), default=0)
        tied = [v for v, n in self.counts.items() if n == top and n > 0]
        return min(tied, key=lambda v: (str(type(v)), v)) if tied else None


WINDOW_AGGREGATES = {
    **sqlite_decimals.WINDOW_AGGREGATES,
    **sqlite_statistics.WINDOW_AGGREGATES,
    "dwsim_mode": (Mode, 1),
}
PACK_FUNCTIONS = frozenset(SCALARS) | frozenset(AGGREGATES) | frozenset(WINDOW_AGGREGATES)


# SQLite reports any exception in a Python function as "user-defined function raised exception"
# and drops the exception: the pack keeps the last one per thread, for the query's error.
_failure = threading.local()


# What the user wrote where a pack function's own name would mislead ("" = the message alone:
# dwsim_round also serves CAST to an integer, dwsim_divisor every division).
SQL_NAMES = {
    "dwsim_round": "", "dwsim_divisor": "", "dwsim_sf_number": "TO_NUMBER",
    "dwsim_time_slice": "TIME_SLICE", "dwsim_to_boolean": "TO_BOOLEAN", "dwsim_to_double": "TO_DOUBLE", "dwsim_integer_text": "CAST to an integer",
    "dwsim_cast_date": "CAST to DATE",
    "dwsim_cast_timestamp": "CAST to TIMESTAMP", "dwsim_convert_tz": "CONVERT_TIMEZONE",
    "dwsim_date_part": "DATE_PART", "dwsim_similar_to": "SIMILAR TO", "dwsim_mod": "MOD",
    "dwsim_round_mode": "ROUND", "dwsim_cast_time": "CAST to TIME", "dwsim_time_add": "DATEADD",
    "dwsim_time_part": "DATE_PART", "dwsim_ceil": "CEIL", "dwsim_sha1": "SHA1", "dwsim_floor": "FLOOR", "dwsim_regexp_like": "REGEXP_LIKE",
    "dwsim_decimal_sum": "SUM", "dwsim_repeat": "REPEAT", "dwsim_bit_and": "BIT_AND", "dwsim_bit_or": "BIT_OR", "dwsim_bit_xor": "BITXOR_AGG",
    "dwsim_json_array_element": "JSON_EXTRACT_ARRAY_ELEMENT_TEXT", "dwsim_decimal_avg": "AVG",
    "dwsim_number_arg": "", "dwsim_in_domain": "", "dwsim_int_range": "",
}  # fmt: skip
_CLASS_NAME = re.compile(r"\[?<class '[^']*'>\]?")


def sql_name(name: str) -> str:
    """The name a user wrote for a pack function: `dwsim_to_number` was TO_NUMBER."""
    return SQL_NAMES.get(name, name.removeprefix("dwsim_").upper())


def take_failure() -> str | None:
    """What the pack function that just failed on this thread said, naming the function
    (once: the next call answers None until another fails)."""
    said: str | None = getattr(_failure, "said", None)
    _failure.said = None
    return said


def _remember(name: str, error: Exception) -> None:
    said = _CLASS_NAME.sub("", str(error)).strip() or "the value is not valid here"
    shown = sql_name(name)
    _failure.said = f"{shown}: {said}" if shown else said


def reporting(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """`fn` as an SQLite function whose exception is kept for the query's error message."""

    @wraps(fn)
    def call(*args: Any) -> Any:
        try:
            return fn(*args)
        except Exception as error:
            _remember(name, error)
            raise

    return call


def _reporting_aggregate(name: str, cls: type) -> type:
    def method(attr: str) -> Callable[..., Any]:
        inner = getattr(cls, attr)

        def call(self: Any, *args: Any) -> Any:
            try:
                return inner(self, *args)
            except Exception as error:
                _remember(name, error)
                raise

        return call

    methods = ("step", "finalize", "value", "inverse")
    return type(cls.__name__, (cls,), {m: method(m) for m in methods if hasattr(cls, m)})


def register_compat(conn: sqlite3.Connection) -> None:
    """Add the pack to a connection (functions are per connection in SQLite)."""
    for name, (fn, nargs) in SCALARS.items():
        conn.create_function(name, nargs, reporting(name, fn), deterministic=True)
    for name, (cls, nargs) in AGGREGATES.items():
        conn.create_aggregate(name, nargs, _reporting_aggregate(name, cls))
    for name, (window, count) in WINDOW_AGGREGATES.items():
        conn.create_window_function(name, count, _reporting_aggregate(name, window))
    # Both sources' LIKE is case-sensitive (ILIKE is the other one); SQLite's is not by default.
    conn.execute("PRAGMA case_sensitive_like = ON")
