"""CONVERT_TIMEZONE, one rewrite per engine (Redshift's two-argument form converts from UTC)."""

from __future__ import annotations

from sqlglot import exp

from dwsim_query.compat.dates.arithmetic import as_timestamp
from dwsim_query.compat.dates.common import _zone_names, on, zones
from dwsim_query.compat.nodes import call, cast, failure, text

ZONE_MESSAGE = "CONVERT_TIMEZONE: a time zone that is no IANA name"


def _iana_only(zone: exp.Expression, source: str, engine: str) -> exp.Expression:
    """A Snowflake zone taken from a column, failing by name unless it is an IANA name in any
    case: PostgreSQL would read 'UTC+3' as a POSIX zone (3 hours west) and 'PST' as an
    abbreviation, DuckDB 'UTC+3' as 3 hours east; Snowflake reads IANA names. Redshift reads a
    POSIX zone as the mock does, which the emulator does not: there a Redshift zone from a
    column is an IANA name too. A literal zone is checked when the query is translated."""
    if isinstance(zone, exp.Literal) and zone.is_string:
        return zone
    if source != "snowflake" and engine != "snowflake":  # the mock reads Redshift's zones
        return zone
    if isinstance(zone, exp.Null):
        return zone
    names = [text(name) for name in sorted(_zone_names())]
    known = exp.In(this=exp.Upper(this=zone.copy()), expressions=names)
    fails = failure(engine, ZONE_MESSAGE)
    return exp.Case(
        ifs=[exp.If(this=exp.Is(this=zone.copy(), expression=exp.Null()), true=exp.Null()),
             exp.If(this=known, true=zone.copy())],
        default=cast(fails, "TEXT") if engine == "postgres" else fails,
    )  # fmt: skip


@on(exp.ConvertTimezone)
def convert_timezone_sqlite(node: exp.Expression, source: str) -> exp.Expression:
    return call("dwsim_convert_tz", *zones(node, source))


@on(exp.ConvertTimezone)
def convert_timezone_postgres(node: exp.Expression, source: str) -> exp.Expression:
    src, target, value = zones(node, source)
    src, target = _iana_only(src, source, "postgres"), _iana_only(target, source, "postgres")
    at_source = exp.AtTimeZone(this=as_timestamp(value), zone=src)
    return exp.Paren(this=exp.AtTimeZone(this=at_source, zone=target))


@on(exp.ConvertTimezone)
def convert_timezone_emulator(node: exp.Expression, source: str) -> exp.Expression:
    src, target, value = zones(node, source)
    src, target = _iana_only(src, source, "snowflake"), _iana_only(target, source, "snowflake")
    return exp.ConvertTimezone(source_tz=src, target_tz=target, timestamp=value)
