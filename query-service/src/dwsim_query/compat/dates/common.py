"""What the date rewrites share: the node classes of each construct, the units each accepts,
what DATEADD returns, INTERVAL literals, time zones and format models."""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Callable

from sqlglot import exp

from dwsim_query.compat.nodes import Refusal, is_date, is_timestamp, text, unit_name
from dwsim_query.compat.registry import Rewrite
from dwsim_shared.compat_packs.formats import FormatError, tokens

# A date rewrite for one source (its meaning differs between Redshift and Snowflake).
Construct = Callable[[str], Rewrite]
Body = Callable[[exp.Expression, str], exp.Expression]


def on(*classes: type[exp.Expression]) -> Callable[[Body], Construct]:
    """A date rewrite of the nodes of `classes`: `body(node, source)` answers them (or returns
    the node where it does not apply); every other node passes unchanged."""

    def decorate(body: Body) -> Construct:
        @functools.wraps(body)
        def for_source(source: str) -> Rewrite:
            def fn(node: exp.Expression) -> exp.Expression:
                return body(node, source) if isinstance(node, classes) else node

            return fn

        return for_source

    return decorate


ADDS = (exp.DateAdd, exp.TsOrDsAdd, exp.TimestampAdd, exp.TimeAdd, exp.DatetimeAdd)
DIFFS = (exp.DateDiff, exp.TsOrDsDiff, exp.TimestampDiff, exp.DatetimeDiff)
TRUNCS = (exp.TimestampTrunc, exp.DateTrunc)
DATE_UNITS = frozenset({"YEAR", "QUARTER", "MONTH", "WEEK", "DAY"})
ADD_UNITS = DATE_UNITS | {"HOUR", "MINUTE", "SECOND", "MILLISECOND"}
DIFF_UNITS = DATE_UNITS | {"HOUR", "MINUTE", "SECOND"}
PART_FUNCS: dict[type[exp.Expression], str] = {exp.Year: "YEAR", exp.Quarter: "QUARTER", exp.Month: "MONTH", exp.Day: "DAY",
              exp.DayOfMonth: "DAY", exp.DayOfWeek: "DOW", exp.DayOfYear: "DOY",
              exp.WeekOfYear: "WEEK", exp.Hour: "HOUR", exp.Minute: "MINUTE",
              exp.Second: "SECOND", exp.Week: "WEEK", exp.YearOfWeek: "ISOYEAR",
              exp.YearOfWeekIso: "ISOYEAR", exp.DayOfWeekIso: "ISODOW"}  # fmt: skip
PARTS = frozenset(PART_FUNCS.values()) | {"EPOCH", "MILLISECOND", "MICROSECOND"}
FORMATTED = (exp.TimeToStr, exp.ToChar)
PARSED = (exp.StrToDate, exp.StrToTime, exp.TsOrDsToDate, exp.TsOrDsToTimestamp)


def unit_of(node: exp.Expression, allowed: frozenset[str], what: str) -> str:
    unit = unit_name(node.args.get("unit"))
    if unit not in allowed:
        raise Refusal(f"{what} with unit {unit.lower()}", node)
    return unit


def result_kind(value: exp.Expression, source: str, unit: str) -> str:
    """What adding `unit`s to `value` returns: always a timestamp in Redshift; in Snowflake, a
    date stays a date for date units, and a string decides by its shape."""
    if source == "redshift" or unit not in DATE_UNITS:
        return "timestamp"
    if is_date(value):
        return "date"
    return "timestamp" if is_timestamp(value) else "auto"


def interval_parts(interval: exp.Interval) -> tuple[str, float]:
    """`INTERVAL '2 hours'` / `INTERVAL '2' HOUR` as (unit, amount); compound intervals are
    refused."""
    words = interval.this.name.split() if interval.this is not None else []
    unit_node = interval.args.get("unit")
    if len(words) == 2 and unit_node is None:
        number, unit = words[0], unit_name(exp.Var(this=words[1]))
    elif len(words) == 1 and unit_node is not None:
        number, unit = words[0], unit_name(unit_node)
    else:
        raise Refusal(f"INTERVAL {interval.this.sql() if interval.this else ''}", interval)
    try:
        amount = float(number)
    except ValueError:
        raise Refusal(f"INTERVAL {number!r}", interval) from None
    if unit not in ADD_UNITS:
        raise Refusal(f"INTERVAL in {unit.lower()}", interval)
    return unit, int(amount) if amount.is_integer() else amount


def date_plus_interval(node: exp.Expression, source: str) -> bool:
    """Snowflake's `date ± INTERVAL` of days or more (a date, where the engines answer a
    timestamp)."""
    if source != "snowflake" or not isinstance(node, exp.Add | exp.Sub):
        return False
    if not (isinstance(node.expression, exp.Interval) and is_date(node.this)):
        return False
    return interval_parts(node.expression)[0] in DATE_UNITS


def zones(node: exp.Expression, source: str) -> list[exp.Expression]:
    """CONVERT_TIMEZONE's (source zone, target zone, value); Redshift's two-argument form
    converts from its session zone (UTC)."""
    src = node.args.get("source_tz")
    if src is None:
        if source == "snowflake":
            raise Refusal("CONVERT_TIMEZONE with two arguments", node)
        src = text("UTC")  # Redshift's session time zone
    if source == "snowflake":
        for zone in (src, node.args["target_tz"]):
            if isinstance(zone, exp.Literal) and zone.is_string and not known_zone(zone.this):
                # PostgreSQL reads ' 12 ' as a POSIX zone 12 hours west; Snowflake fails it
                raise Refusal(f"time zone {zone.this!r}", node,
                              "Snowflake reads IANA time zone names (America/New_York)")  # fmt: skip
    return [src, node.args["target_tz"], node.args["timestamp"]]


@functools.cache
def _zone_names() -> frozenset[str]:
    return frozenset(name.upper() for name in zoneinfo.available_timezones())


def known_zone(name: str) -> bool:
    """An IANA time zone name (any case, as Snowflake reads them)."""
    return name.upper() in _zone_names()


def numeric_arg(node: exp.Expression) -> bool:
    kind = node.this.type
    return isinstance(kind, exp.DataType) and kind.is_type(*exp.DataType.NUMERIC_TYPES)


def raw_format(node: exp.Expression) -> str:
    """The format model as written, unchecked."""
    raw = node.meta.get("dwsim_format") if node._meta else None
    return str(raw if raw is not None else node.args["format"].name)


def format_model(node: exp.Expression, source: str) -> str:
    """The format model as the user wrote it (the parser keeps a converted copy)."""
    raw = node.meta.get("dwsim_format") if node._meta else None
    found = raw if raw is not None else node.args["format"].name
    if source == "snowflake" and (isinstance(node.args["format"], exp.Null) or not found):
        # Snowflake documents neither; the engines answered NULL, '' or failed
        which = "a NULL" if isinstance(node.args["format"], exp.Null) else "an empty"
        raise Refusal(f"{which} format model", node, "write the model, or leave it out")
    try:
        tokens(found, source)
    except FormatError as error:
        raise Refusal(f"format model {found!r}", node, str(error)) from error
    return found
