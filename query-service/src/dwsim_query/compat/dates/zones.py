"""CONVERT_TIMEZONE, one rewrite per engine (Redshift's two-argument form converts from UTC)."""

from __future__ import annotations

from sqlglot import exp

from dwsim_query.compat.dates.arithmetic import as_timestamp
from dwsim_query.compat.dates.common import zones
from dwsim_query.compat.nodes import call
from dwsim_query.compat.registry import Rewrite


def convert_timezone_sqlite(source: str) -> Rewrite:
    def fn(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.ConvertTimezone):
            return call("dwsim_convert_tz", *zones(node, source))
        return node

    return fn


def convert_timezone_postgres(source: str) -> Rewrite:
    def fn(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.ConvertTimezone):
            return node
        src, target, value = zones(node, source)
        at_source = exp.AtTimeZone(this=as_timestamp(value), zone=src)
        return exp.Paren(this=exp.AtTimeZone(this=at_source, zone=target))

    return fn


def convert_timezone_emulator(source: str) -> Rewrite:
    def fn(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.ConvertTimezone):
            return node
        src, target, value = zones(node, source)
        return exp.ConvertTimezone(source_tz=src, target_tz=target, timestamp=value)

    return fn
