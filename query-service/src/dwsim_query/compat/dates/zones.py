"""CONVERT_TIMEZONE, one rewrite per engine (Redshift's two-argument form converts from UTC)."""

from __future__ import annotations

from sqlglot import exp

from dwsim_query.compat.dates.arithmetic import as_timestamp
from dwsim_query.compat.dates.common import on, zones
from dwsim_query.compat.nodes import call


@on(exp.ConvertTimezone)
def convert_timezone_sqlite(node: exp.Expression, source: str) -> exp.Expression:
    return call("dwsim_convert_tz", *zones(node, source))


@on(exp.ConvertTimezone)
def convert_timezone_postgres(node: exp.Expression, source: str) -> exp.Expression:
    src, target, value = zones(node, source)
    at_source = exp.AtTimeZone(this=as_timestamp(value), zone=src)
    return exp.Paren(this=exp.AtTimeZone(this=at_source, zone=target))


@on(exp.ConvertTimezone)
def convert_timezone_emulator(node: exp.Expression, source: str) -> exp.Expression:
    src, target, value = zones(node, source)
    return exp.ConvertTimezone(source_tz=src, target_tz=target, timestamp=value)
