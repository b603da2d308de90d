"""Date and time rewrites that run before the engines' own (compat/dates/ imports this module
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
from dwsim_query.compat.registry import (
    SOURCES,
    Rewrite,
    combine,
    compat_engines,
    origin_of,
    rewrite,
)

T = exp.DataType.Type
TIME_UNITS = frozenset({"HOUR", "MINUTE", "SECOND", "MILLISECOND"})
TIME_TYPE = exp.DataType(this=T.TIME)
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
    # The page's prose: decade 201 is 2000-01-01 to 2009-12-31 (decade 1 is years 1 to 9).
    spans = {"DECADE": (10, 10), "CENTURY": (99, 100), "MILLENNIUM": (999, 1000)}
    if part in spans:
        shift, span = spans[part]
        year: exp.Expression = exp.Extract(this=exp.Var(this="YEAR"), expression=value)
        if shift:
            year = exp.Add(this=year, expression=exp.Literal.number(shift))
        divided = exp.Div(this=exp.Paren(this=year), expression=exp.Literal.number(f"{span}.0"))
        return cast(exp.Floor(this=divided), "BIGINT")
    return node


def redshift_year_from_leap_day(node: exp.Expression) -> exp.Expression:
    """Redshift's DATEADD(year, n, '2016-02-29') is 2017-03-01 (DATEADD(month, 12, ...) is
    2017-02-28): from the day before, add the years, then the day again."""
    if not isinstance(node, exp.DateAdd | exp.TsOrDsAdd) or node.meta.get("dwsim_years"):
        return node
    if unit_name(node.args.get("unit")) != "YEAR" or _is_add_months(node):
        return node
    value = _month_start(node.this, "redshift")
    before = _date_add(value, exp.Literal.number(-1), "DAY")
    years = _date_add(before, node.expression, "YEAR")
    years.meta["dwsim_years"] = True
    return _date_add(years, exp.Literal.number(1), "DAY")


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
        time_type = TIME_TYPE
        if isinstance(node, exp.DateTrunc | exp.TimestampTrunc) and _is_time(node.this):
            raise Refusal("DATE_TRUNC of a TIME", node)
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
        if engine == "sqlite" and isinstance(node, exp.Add):
            sides = (node.this, node.expression)
            kinds = [type_of(side) for side in sides]
            if T.TIME in kinds and T.DATE in kinds:  # date + time: the timestamp of both
                day, clock = sides if kinds[0] == T.DATE else sides[::-1]
                joined = exp.DPipe(this=exp.DPipe(this=day, expression=text(" ")), expression=clock)
                return _typed(call("dwsim_cast_timestamp", joined), exp.DataType(this=T.TIMESTAMP))
        if engine == "sqlite" and isinstance(node, exp.Extract) and _is_time(node.expression):
            return call("dwsim_time_part", text(unit_name(node.this)), node.expression)
        return node

    return fn


LAST_DAY_SPANS = {"YEAR": ("YEAR", 12), "QUARTER": ("QUARTER", 3)}


def last_day_of_a_part(node: exp.Expression) -> exp.Expression:
    """Snowflake's LAST_DAY(d, part): the last day of d's year, quarter, month or week (weeks
    start on Monday)."""
    if not isinstance(node, exp.LastDay) or node.args.get("unit") is None:
        return node
    part = unit_name(node.args["unit"])
    if part == "MONTH":
        node.set("unit", None)
        return node
    date_type = exp.DataType(this=T.DATE)
    value = node.this if is_date(node.this) else cast(node.this, "DATE")
    unit = "YEAR" if part == "YEAR" else "QUARTER" if part == "QUARTER" else "WEEK"
    if part not in ("YEAR", "QUARTER", "WEEK"):
        raise Refusal(f"LAST_DAY with part {part.lower()}", node)
    start = _typed(exp.DateTrunc(this=value, unit=exp.Var(this=unit)), date_type)
    if part == "WEEK":
        return cast(_date_add(start, exp.Literal.number(6), "DAY"), "DATE")
    months = 12 if part == "YEAR" else 3
    following = _date_add(start, exp.Literal.number(months), "MONTH")
    return cast(_date_add(following, exp.Literal.number(-1), "DAY"), "DATE")


def try_casts_to_dates(node: exp.Expression) -> exp.Expression:
    """TRY_TO_DATE, TRY_CAST(... AS DATE | TIMESTAMP): NULL where the text is not a date."""
    if type(node) is not exp.TryCast or node.to.this not in (T.DATE, T.TIMESTAMP):
        return node
    if is_date(node.this) or is_timestamp(node.this):
        return node
    name = "dwsim_try_date" if node.to.this == T.DATE else "dwsim_try_timestamp"
    return _typed(call(name, cast(node.this, "TEXT")), node.to)


DAYS = {"SU": 0, "MO": 1, "TU": 2, "WE": 3, "TH": 4, "FR": 5, "SA": 6}


def next_day(node: exp.Expression) -> exp.Expression:
    """NEXT_DAY(d, 'Tuesday'): the first such day after d (both sources read the name by its
    first two letters)."""
    if not isinstance(node, exp.NextDay):
        return node
    name = node.expression
    if not (isinstance(name, exp.Literal) and name.is_string):
        raise Refusal("NEXT_DAY with a day name that is not a literal", node)
    target = DAYS.get(name.this.strip()[:2].upper())
    if target is None:
        raise Refusal(f"NEXT_DAY of {name.this!r}", node, "not a day of the week")
    value = node.this if is_date(node.this) or is_timestamp(node.this) else cast(node.this, "DATE")
    dow = exp.Extract(this=exp.Var(this="DOW"), expression=value.copy())
    ahead = exp.Mod(
        this=exp.Paren(this=exp.Sub(this=exp.Literal.number(target + 6), expression=dow)),
        expression=exp.Literal.number(7),
    )
    days = exp.Add(this=exp.Paren(this=ahead), expression=exp.Literal.number(1))
    return cast(_date_add(value, days, "DAY"), "DATE")


def to_date_forms(node: exp.Expression) -> exp.Expression:
    """Snowflake's TO_DATE(x, 'AUTO') is TO_DATE(x); TO_DATE(x) of text or a timestamp is a
    cast; TO_DATE of a string of digits (seconds, milliseconds... since the epoch) is refused."""
    fmt = node.args.get("format") if isinstance(node, exp.TsOrDsToDate | exp.StrToDate) else None
    if isinstance(fmt, exp.Literal) and fmt.name.upper() == "AUTO":
        node.set("format", None)
        if node._meta:
            node.meta.pop("dwsim_format", None)
        fmt = None
    if isinstance(node, exp.TsOrDsToDate) and fmt is None and not node.args.get("safe"):
        return cast(node.this, "DATE")
    if isinstance(node, exp.Anonymous) and node.name.upper() in ("TO_DATE", "DATE"):
        raise Refusal("TO_DATE of a string of digits", node, "epoch units are not read yet")
    return node


def to_timestamp_of_a_date(node: exp.Expression) -> exp.Expression:
    """Snowflake's TO_TIMESTAMP(d) of a DATE or TIMESTAMP: that value as a timestamp."""
    if (
        isinstance(node, exp.Anonymous)
        and node.name.upper() in ("TO_TIMESTAMP", "TO_TIMESTAMP_NTZ")
        and len(node.expressions) == 1
        and (is_date(node.expressions[0]) or is_timestamp(node.expressions[0]))
    ):
        return cast(node.expressions[0], "TIMESTAMP")
    return node


# One pass per (source, engine): none of these needs to see what another builds below it.
for _source in SOURCES:
    for _engine in compat_engines():
        _fns = [add_months(_source), _times(_engine), next_day]
        if _source == "redshift":
            _fns += [redshift_date_parts, redshift_year_from_leap_day]
        else:
            _fns.append(to_timestamp_of_a_date)
            _fns.insert(0, to_date_forms)
        if _engine != "snowflake":
            _fns.append(try_casts_to_dates)
            if _source == "snowflake":
                _fns.append(last_day_of_a_part)
        rewrite("dates", sources=[_source], engines=[_engine])(combine(*_fns))
