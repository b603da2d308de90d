"""Snowflake's DAYNAME, MONTHNAME, PREVIOUS_DAY, TIMESTAMP_FROM_PARTS and TIME_FROM_PARTS,
written as the constructs every engine already runs (TO_CHAR with a format, DATEADD,
DATE_FROM_PARTS), before the engines' own date rewrites read them."""

from __future__ import annotations

from sqlglot import exp

from dwsim_query.compat.nodes import Refusal, call, cast, is_date, is_timestamp, text, type_of
from dwsim_query.compat.registry import Rewrite, rewrite

T = exp.DataType.Type
DAYS = {"SU": 0, "MO": 1, "TU": 2, "WE": 3, "TH": 4, "FR": 5, "SA": 6}


def _typed(node: exp.Expression, kind: str) -> exp.Expression:
    node.type = exp.DataType.build(kind)
    return node


def _add(value: exp.Expression, amount: exp.Expression, unit: str, kind: str) -> exp.Expression:
    return _typed(exp.DateAdd(this=value, expression=amount, unit=exp.Var(this=unit)), kind)


def _named(node: exp.Expression, model: str) -> exp.Expression:
    """DAYNAME / MONTHNAME: TO_CHAR with Snowflake's three-letter model (`DY`, `MON`)."""
    value = node.this
    if not (is_date(value) or is_timestamp(value)):
        value = cast(value, "TIMESTAMP")
    formatted = exp.TimeToStr(this=value, format=text(model))
    formatted.meta["dwsim_format"] = model
    return _typed(formatted, "VARCHAR")


def _previous_day(node: exp.PreviousDay) -> exp.Expression:
    """The last such day before d (the day name read by its first two letters, as NEXT_DAY)."""
    name = node.expression
    if not (isinstance(name, exp.Literal) and name.is_string):
        raise Refusal("PREVIOUS_DAY with a day name that is not a literal", node)
    target = DAYS.get(name.this.strip()[:2].upper())
    if target is None:
        raise Refusal(f"PREVIOUS_DAY of {name.this!r}", node, "not a day of the week")
    value = node.this if is_date(node.this) or is_timestamp(node.this) else cast(node.this, "DATE")
    dow = exp.Extract(this=exp.Var(this="DOW"), expression=value.copy())
    behind = exp.Mod(
        this=exp.Paren(this=exp.Add(this=exp.Sub(this=dow, expression=exp.Literal.number(target)),
                                    expression=exp.Literal.number(6))),
        expression=exp.Literal.number(7),
    )  # fmt: skip
    days = exp.Neg(this=exp.Paren(this=exp.Add(this=exp.Paren(this=behind),
                                               expression=exp.Literal.number(1))))  # fmt: skip
    return cast(_add(value, days, "DAY", "TIMESTAMP" if is_timestamp(value) else "DATE"), "DATE")


def _nanoseconds(node: exp.Expression, value: exp.Expression | None, name: str) -> None:
    if value is not None and not (isinstance(value, exp.Literal) and value.this == "0"):
        raise Refusal(f"{name} with nanoseconds", node, "the engines keep microseconds")


def _timestamp_from_parts(node: exp.TimestampFromParts, name: str, engine: str) -> exp.Expression:
    """TIMESTAMP_FROM_PARTS(y, mo, d, h, mi, s): DATE_FROM_PARTS, then the hours, minutes
    and seconds added (values out of range carry over, as Snowflake's do); (date, time): the
    date at that time."""
    if node.args.get("zone") is not None:
        raise Refusal(f"{name} with a time zone", node, "TIMESTAMP_TZ values are not simulated")
    _nanoseconds(node, node.args.get("nano"), name)
    if node.args.get("year") is None:
        day, clock = node.this, node.expression
        if type_of(day) != T.DATE or type_of(clock) != T.TIME:
            raise Refusal(f"{name}(date, time) of values that are not a DATE and a TIME", node)
        return _typed(exp.Add(this=day, expression=clock), "TIMESTAMP")
    # whole numbers as Snowflake rounds them (INT: PostgreSQL's MAKE_DATE takes no BIGINT)
    whole: dict[str, exp.Expression] = {
        key: cast(node.args[key], "INT" if key in ("year", "month", "day") else "BIGINT")
        for key in ("year", "month", "day", "hour", "min", "sec")
    }
    if engine == "snowflake":  # DuckDB makes years before 1 (the other engines fail them)
        before = exp.LT(this=whole["year"].copy(), expression=exp.Literal.number(1))
        failing = call("ERROR", text(f"{name}: year out of range"))
        whole["year"] = exp.Case(ifs=[exp.If(this=before, true=failing)], default=whole["year"])
    day = exp.DateFromParts(year=whole["year"], month=whole["month"], day=whole["day"],
                            allow_overflow=True)  # fmt: skip
    value: exp.Expression = cast(_typed(day, "DATE"), "TIMESTAMP")
    for unit, key in (("HOUR", "hour"), ("MINUTE", "min"), ("SECOND", "sec")):
        value = _add(value, whole[key], unit, "TIMESTAMP")
    return value


def _time_from_parts(node: exp.TimeFromParts) -> exp.Expression:
    """TIME_FROM_PARTS(h, m, s): midnight plus that many seconds (out of range values carry
    over and wrap around midnight, as Snowflake's do)."""
    _nanoseconds(node, node.args.get("nano"), "TIME_FROM_PARTS")
    hour, minute, second = (cast(node.args[k], "BIGINT") for k in ("hour", "min", "sec"))
    seconds = exp.Add(
        this=exp.Add(this=exp.Mul(this=hour, expression=exp.Literal.number(3600)),
                     expression=exp.Mul(this=minute, expression=exp.Literal.number(60))),
        expression=second,
    )  # fmt: skip
    midnight = cast(text("00:00:00"), "TIME")
    return _add(midnight, exp.Paren(this=seconds), "SECOND", "TIME")


def named_days_and_parts(engine: str) -> Rewrite:
    def fn(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Dayname):
            return _named(node, "DY")
        if isinstance(node, exp.Monthname):
            return _named(node, "MON")
        if isinstance(node, exp.PreviousDay):
            return _previous_day(node)
        if isinstance(node, exp.TimestampFromParts):
            words = (
                (node.meta.get("dwsim_origin") or ("TIMESTAMP_FROM_PARTS",))[0]
                if node._meta
                else ""
            )
            name = (
                "TIMESTAMP_NTZ_FROM_PARTS"
                if "NTZ" in str(words).upper()
                else "TIMESTAMP_FROM_PARTS"
            )
            return _timestamp_from_parts(node, name, engine)
        if isinstance(node, exp.TimeFromParts):
            return _time_from_parts(node)
        return node

    return fn


for _engine in ("sqlite", "postgres", "snowflake"):
    rewrite("dates", sources=["snowflake"], engines=[_engine], first=True)(
        named_days_and_parts(_engine)
    )
