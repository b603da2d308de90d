"""DATE_TRUNC, LAST_DAY and CURRENT_TIMESTAMP(p), one rewrite per construct and engine."""

from __future__ import annotations

from sqlglot import exp

from dwsim_query.compat.dates.arithmetic import as_timestamp
from dwsim_query.compat.dates.common import DIFF_UNITS, TRUNCS, on, unit_of
from dwsim_query.compat.nodes import Refusal, call, cast, is_date, is_text, is_timestamp, text

# Redshift's date parts past Snowflake's (r_DATE_TRUNC): the first year of a decade ends in 0,
# of a century or millennium in 1 (2020 -> 2001-01-01 for both, as PostgreSQL reads them).
REDSHIFT_TRUNC_UNITS = DIFF_UNITS | {
    "MILLISECOND",
    "MICROSECOND",
    "DECADE",
    "CENTURY",
    "MILLENNIUM",
}
YEARS = {"DECADE": (10, 0), "CENTURY": (100, 1), "MILLENNIUM": (1000, 1)}


def _trunc_unit(node: exp.Expression, source: str) -> str:
    allowed = REDSHIFT_TRUNC_UNITS if source == "redshift" else DIFF_UNITS
    return unit_of(node, allowed, "DATE_TRUNC")


@on(*TRUNCS)
def date_trunc_sqlite(node: exp.Expression, source: str) -> exp.Expression:
    unit = _trunc_unit(node, source)
    # Snowflake keeps a date a date; text is coerced to a timestamp
    typed = is_timestamp(node.this) or is_text(node.this)
    kind = "auto" if source == "snowflake" and not typed else "timestamp"
    return call("dwsim_date_trunc", text(unit), node.this, text(kind))


@on(*TRUNCS)
def date_trunc_postgres(node: exp.Expression, source: str) -> exp.Expression:
    unit = _trunc_unit(node, source)
    truncated = call("DATE_TRUNC", text(unit.lower()), as_timestamp(node.this))
    if source == "snowflake" and is_date(node.this):
        return cast(truncated, "DATE")
    return truncated


@on(*TRUNCS)
def date_trunc_emulator(node: exp.Expression, source: str) -> exp.Expression:
    unit = _trunc_unit(node, source)
    if unit in YEARS:  # DuckDB's century and millennium start in years ending in 0
        size, first = YEARS[unit]
        year = exp.Year(this=node.this.copy())
        past = exp.Paren(this=exp.Sub(this=year, expression=exp.Literal.number(first)))
        back = exp.Paren(this=exp.Mod(this=past, expression=exp.Literal.number(size)))
        start = exp.TimestampTrunc(this=node.this, unit=exp.Var(this="YEAR"))
        moved = exp.DateAdd(this=start, expression=exp.Neg(this=back), unit=exp.Var(this="YEAR"))
        return cast(moved, "TIMESTAMP_NTZ", "snowflake")
    truncated = exp.TimestampTrunc(this=node.this, unit=exp.Var(this=unit))
    if source == "snowflake" and is_date(node.this):
        return cast(truncated, "DATE")  # fakesnow answers a timestamp
    return cast(truncated, "TIMESTAMP_NTZ", "snowflake")


@on(exp.LastDay)
def last_day_sqlite(node: exp.Expression, source: str) -> exp.Expression:
    kind = "date" if source == "snowflake" or is_date(node.this) else "auto"
    return call("dwsim_last_day", node.this, text(kind))


def current_timestamp_precision(node: exp.Expression) -> exp.Expression:
    """CURRENT_TIMESTAMP(p) reports at most p fractional digits (the reference allows fewer
    than asked): whole seconds for 0-2, milliseconds for 3-5 (the engines ignore p). SQLite's
    CURRENT_TIMESTAMP has whole seconds already. Snowflake's, on the mock and the emulator."""
    if not isinstance(node, exp.CurrentTimestamp) or node.this is None:
        return node
    digits = node.this
    if not (isinstance(digits, exp.Literal) and digits.is_int):
        raise Refusal("CURRENT_TIMESTAMP with a precision that is not a literal", node)
    node.set("this", None)
    if int(digits.this) >= 6:
        return node
    unit = "SECOND" if int(digits.this) < 3 else "MILLISECOND"
    return exp.TimestampTrunc(this=node, unit=exp.var(unit))
