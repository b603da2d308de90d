"""Date and time rewrites that run before the engines' own (dates.py imports this module
first): ADD_MONTHS with its month-end rule, the sub-second and multi-year date parts, and
TIME values (text `HH:MM:SS` on SQLite)."""

from __future__ import annotations

from sqlglot import exp

from dwsim_query.compat.nodes import (
    Refusal,
    call,
    cast,
    is_date,
    is_timestamp,
    text,
    type_of,
    unit_name,
)
from dwsim_query.compat.registry import ENGINES, Rewrite, origin_of, rewrite

T = exp.DataType.Type
TIME_UNITS = frozenset({"HOUR", "MINUTE", "SECOND", "MILLISECOND"})
ADDS = (exp.DateAdd, exp.TsOrDsAdd, exp.TimestampAdd, exp.TimeAdd, exp.DatetimeAdd)


def _typed(node: exp.Expression, kind: exp.DataType | None) -> exp.Expression:
    node.type = kind.copy() if kind is not None else None
    return node


def _date_add(value: exp.Expression, amount: exp.Expression, unit: str) -> exp.Expression:
    return _typed(exp.DateAdd(this=value, expression=amount, unit=exp.Var(this=unit)), value.type)


def _is_add_months(node: exp.Expression) -> bool:
    if isinstance(node, exp.AddMonths):
        return True
    if not isinstance(node, exp.TsOrDsAdd) or unit_name(node.args.get("unit")) != "MONTH":
        return False
    found = origin_of(node)  # Redshift's ADD_MONTHS parses as DATEADD(month, ...)
    return found is not None and found[0].upper().startswith("ADD_MONTHS")


def _month_start(value: exp.Expression, source: str) -> exp.Expression:
    if source == "redshift":
        return value if is_timestamp(value) else cast(value, "TIMESTAMP")
    if is_date(value) or is_timestamp(value):
        return value
    looks_like_date = isinstance(value, exp.Literal) and len(value.name.strip()) == 10
    return cast(value, "DATE" if looks_like_date else "TIMESTAMP")


def add_months(source: str) -> Rewrite:
    """ADD_MONTHS keeps a month's last day as the last day (2008-04-30 + 1 = 2008-05-31) in
    both sources: from a month's end, add to the next day and step back one day."""

    def fn(node: exp.Expression) -> exp.Expression:
        if not _is_add_months(node):
            return node
        value = _month_start(node.this, source)
        months = node.expression
        next_day = _date_add(value.copy(), exp.Literal.number(1), "DAY")
        at_month_end = exp.EQ(
            this=exp.Extract(this=exp.Var(this="DAY"), expression=next_day.copy()),
            expression=exp.Literal.number(1),
        )
        kept_end = _date_add(
            _date_add(next_day, months.copy(), "MONTH"), exp.Literal.number(-1), "DAY"
        )
        plain = _date_add(value, months, "MONTH")
        return _typed(
            exp.Case(ifs=[exp.If(this=at_month_end, true=kept_end)], default=plain), value.type
        )

    return fn


for _source in ("redshift", "snowflake"):
    rewrite("dates", sources=[_source])(add_months(_source))


@rewrite("dates", sources=["redshift"])
def redshift_date_parts(node: exp.Expression) -> exp.Expression:
    """Redshift's millisecond and microsecond parts are the fraction of the second alone
    (43.101 s: 101 ms); decade, century and millennium count from the year."""
    if not isinstance(node, exp.Extract):
        return node
    part, value = unit_name(node.this), node.expression
    if part in ("MILLISECOND", "MICROSECOND"):
        whole = exp.Extract(this=exp.Var(this=part), expression=value)
        scale = 1000 if part == "MILLISECOND" else 1_000_000
        return cast(exp.Mod(this=whole, expression=exp.Literal.number(scale)), "BIGINT")
    spans = {"DECADE": (0, 10), "CENTURY": (99, 100), "MILLENNIUM": (999, 1000)}
    if part in spans:
        shift, span = spans[part]
        year: exp.Expression = exp.Extract(this=exp.Var(this="YEAR"), expression=value)
        if shift:
            year = exp.Add(this=year, expression=exp.Literal.number(shift))
        divided = exp.Div(this=exp.Paren(this=year), expression=exp.Literal.number(f"{span}.0"))
        return cast(exp.Floor(this=divided), "BIGINT")
    return node


def _is_time(node: exp.Expression) -> bool:
    return type_of(node) == T.TIME


def _to_time(node: exp.Expression) -> exp.Expression | None:
    if isinstance(node, exp.Cast | exp.TryCast) and node.to.this == T.TIME:
        return node.this
    if isinstance(node, exp.TsOrDsToTime) and node.args.get("format") is None:
        return node.this
    return None


def _time_unit(node: exp.Expression) -> str:
    unit = unit_name(node.args.get("unit"))
    if unit not in TIME_UNITS:
        raise Refusal(f"DATEADD of a TIME with unit {unit.lower()}", node)
    return unit


def _times(engine: str) -> Rewrite:
    def fn(node: exp.Expression) -> exp.Expression:
        time_type = exp.DataType.build("TIME")
        value = _to_time(node)
        if value is not None:
            if engine == "sqlite":
                return _typed(call("dwsim_cast_time", value), time_type)
            if isinstance(node, exp.TsOrDsToTime):
                return cast(value, "TIME")
            return node
        if isinstance(node, ADDS) and _is_time(node.this):
            unit = _time_unit(node)
            if engine == "sqlite":
                added = call("dwsim_time_add", text(unit), node.expression, node.this)
                return _typed(added, time_type)
            if engine == "snowflake":
                timeadd = call("TIMEADD", exp.Var(this=unit), node.expression, node.this)
                return _typed(timeadd, time_type)
            amount: exp.Expression = exp.Paren(this=node.expression)
            if unit == "MILLISECOND":
                unit, amount = "SECOND", exp.Div(this=amount, expression=exp.Literal.number(1000))
            step = exp.Interval(this=text("1"), unit=exp.Var(this=unit))
            moved = exp.Add(this=node.this, expression=exp.Mul(this=amount, expression=step))
            return _typed(cast(exp.Paren(this=moved), "TIME"), time_type)
        if engine == "sqlite" and isinstance(node, exp.Extract) and _is_time(node.expression):
            return call("dwsim_time_part", text(unit_name(node.this)), node.expression)
        return node

    return fn


for _engine in ENGINES:
    rewrite("dates", engines=[_engine])(_times(_engine))
