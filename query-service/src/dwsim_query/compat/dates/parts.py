"""EXTRACT and the part functions (YEAR(), DAYOFWEEK(), WEEKISO()...), one rewrite per engine."""

from __future__ import annotations

from sqlglot import exp

from dwsim_query.compat.dates.arithmetic import as_timestamp
from dwsim_query.compat.dates.common import PART_FUNCS, PARTS, on
from dwsim_query.compat.nodes import Refusal, call, cast, text, unit_name


@on(exp.Extract)
def extract_sqlite(node: exp.Expression, source: str) -> exp.Expression:
    part = unit_name(node.this)
    if part not in PARTS:
        raise Refusal(f"EXTRACT({part.lower()})", node)
    return call("dwsim_date_part", text(part), node.expression)


@on(*PART_FUNCS)
def part_functions_sqlite(node: exp.Expression, source: str) -> exp.Expression:
    if type(node) not in PART_FUNCS:  # a subclass of one is not that part
        return node
    return call("dwsim_date_part", text(PART_FUNCS[type(node)]), node.this)


@on(exp.Extract, *PART_FUNCS)
def parts_postgres(node: exp.Expression, source: str) -> exp.Expression:
    """EXTRACT and the part functions as PostgreSQL's EXTRACT, cast to the source's type."""
    if not isinstance(node, exp.Extract) and type(node) not in PART_FUNCS:
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


ISO_PARTS: dict[type[exp.Expression], str] = {exp.WeekOfYear: "WEEK", exp.YearOfWeek: "ISOYEAR", exp.YearOfWeekIso: "ISOYEAR",
             exp.DayOfWeekIso: "ISODOW"}  # fmt: skip


@on(*ISO_PARTS)
def iso_parts_emulator(node: exp.Expression, source: str) -> exp.Expression:
    if type(node) not in ISO_PARTS:  # a subclass of one is not that part
        return node
    # The emulator knows them as EXTRACT parts only.
    return exp.Extract(this=exp.Var(this=ISO_PARTS[type(node)]), expression=node.this)
