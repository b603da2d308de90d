"""EXTRACT and the part functions (YEAR(), DAYOFWEEK(), WEEKISO()...), one rewrite per engine."""

from __future__ import annotations

from sqlglot import exp

from dwsim_query.compat.dates.arithmetic import as_timestamp
from dwsim_query.compat.dates.common import PART_FUNCS, PARTS
from dwsim_query.compat.nodes import Refusal, call, cast, text, unit_name
from dwsim_query.compat.registry import Rewrite


def extract_sqlite(source: str) -> Rewrite:
    def fn(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Extract):
            return node
        part = unit_name(node.this)
        if part not in PARTS:
            raise Refusal(f"EXTRACT({part.lower()})", node)
        return call("dwsim_date_part", text(part), node.expression)

    return fn


def part_functions_sqlite(source: str) -> Rewrite:
    def fn(node: exp.Expression) -> exp.Expression:
        if type(node) in PART_FUNCS:
            return call("dwsim_date_part", text(PART_FUNCS[type(node)]), node.this)
        return node

    return fn


def parts_postgres(source: str) -> Rewrite:
    """EXTRACT and the part functions as PostgreSQL's EXTRACT, cast to the source's type."""

    def fn(node: exp.Expression) -> exp.Expression:
        if not (isinstance(node, exp.Extract) or type(node) in PART_FUNCS):
            return node
        part = unit_name(node.this) if isinstance(node, exp.Extract) else PART_FUNCS[type(node)]
        value = node.expression if isinstance(node, exp.Extract) else node.this
        if part not in PARTS:
            raise Refusal(f"EXTRACT({part.lower()})", node)
        pg_part = {"WEEK": "WEEK", "DOW": "DOW", "DOY": "DOY"}.get(part, part)
        extracted = exp.Extract(this=exp.Var(this=pg_part), expression=as_timestamp(value))
        return (
            cast(extracted, "DOUBLE PRECISION")
            if part in ("SECOND", "EPOCH")
            else cast(extracted, "BIGINT")
        )

    return fn


ISO_PARTS: dict[type[exp.Expression], str] = {exp.WeekOfYear: "WEEK", exp.YearOfWeek: "ISOYEAR", exp.YearOfWeekIso: "ISOYEAR",
             exp.DayOfWeekIso: "ISODOW"}  # fmt: skip


def iso_parts_emulator(source: str) -> Rewrite:
    def fn(node: exp.Expression) -> exp.Expression:
        if type(node) in ISO_PARTS:  # the emulator knows them as EXTRACT parts only
            return exp.Extract(this=exp.Var(this=ISO_PARTS[type(node)]), expression=node.this)
        return node

    return fn
