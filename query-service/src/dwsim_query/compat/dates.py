"""Dates and times: DATEADD / DATEDIFF / DATE_TRUNC / parts / formats / time zones."""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from dwsim_query.compat import times  # noqa: F401  (its rewrites run before these)
from dwsim_query.compat.nodes import (
    Refusal,
    call,
    cast,
    is_date,
    is_integer,
    is_text,
    is_timestamp,
    text,
    type_of,
    unit_name,
)
from dwsim_query.compat.registry import Rewrite, rewrite
from dwsim_shared.compat_packs.formats import ELEMENTS, FormatError, tokens

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


def _unit(node: exp.Expression, allowed: frozenset[str], what: str) -> str:
    unit = unit_name(node.args.get("unit"))
    if unit not in allowed:
        raise Refusal(f"{what} with unit {unit.lower()}", node)
    return unit


def _result_kind(node: exp.Expression, source: str, unit: str) -> str:
    """What DATEADD returns: always a timestamp in Redshift; in Snowflake, a date stays a date
    for date units, and a string decides by its shape."""
    if source == "redshift" or unit not in DATE_UNITS:
        return "timestamp"
    if is_date(node.this):
        return "date"
    return "timestamp" if is_timestamp(node.this) else "auto"


def _date_plus_interval(node: exp.Expression, source: str) -> bool:
    if source != "snowflake" or not isinstance(node, exp.Add | exp.Sub):
        return False
    if not (isinstance(node.expression, exp.Interval) and is_date(node.this)):
        return False
    return _interval_parts(node.expression)[0] in DATE_UNITS


def _kind_for(value: exp.Expression, source: str, unit: str) -> str:
    if source == "redshift" or unit not in DATE_UNITS:
        return "timestamp"
    if is_date(value):
        return "date"
    return "timestamp" if is_timestamp(value) else "auto"


def _interval_parts(interval: exp.Interval) -> tuple[str, float]:
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


def _amount(node: exp.Expression) -> exp.Expression:
    return node.expression


# --- SQLite: the pack's functions, over ISO text --------------------------------------------


def _sqlite_dates(source: str) -> Rewrite:
    def fn(node: exp.Expression) -> exp.Expression:
        if isinstance(node, ADDS):
            unit = _unit(node, ADD_UNITS, "DATEADD")
            kind = _result_kind(node, source, unit)
            return call("dwsim_dateadd", text(unit), _amount(node), node.this, text(kind))
        if isinstance(node, DIFFS):
            unit = _unit(node, DIFF_UNITS, "DATEDIFF")
            return call("dwsim_datediff", text(unit), node.expression, node.this)
        if isinstance(node, TRUNCS):
            unit = _unit(node, DIFF_UNITS, "DATE_TRUNC")
            kind = "auto" if source == "snowflake" and not is_timestamp(node.this) else "timestamp"
            return call("dwsim_date_trunc", text(unit), node.this, text(kind))
        if isinstance(node, COMPARISONS):
            kinds = (_sqlite_kind(node.this), _sqlite_kind(node.expression))
            # ISO text compares '2024-01-01' < '2024-01-01 00:00:00'; the sources compare a
            # date with a timestamp as that date at midnight.
            if kinds == ("date", "timestamp"):
                node.set("this", call("dwsim_cast_timestamp", node.this))
            elif kinds == ("timestamp", "date"):
                node.set("expression", call("dwsim_cast_timestamp", node.expression))
            return node
        if isinstance(node, exp.Add | exp.Sub) and isinstance(node.expression, exp.Interval):
            unit, amount = _interval_parts(node.expression)
            if isinstance(node, exp.Sub):
                amount = -amount
            kind = _kind_for(node.this, source, unit)
            return call(
                "dwsim_dateadd", text(unit), exp.Literal.number(amount), node.this, text(kind)
            )
        if isinstance(node, exp.Sub) and is_date(node.this) and is_date(node.expression):
            return call("dwsim_datediff", text("DAY"), node.expression, node.this)
        if (
            isinstance(node, exp.Add | exp.Sub)
            and is_date(node.this)
            and is_integer(node.expression)
        ):
            days: exp.Expression = node.expression
            if isinstance(node, exp.Sub):
                days = exp.Neg(this=days)
            return call("dwsim_dateadd", text("DAY"), days, node.this, text("date"))
        if isinstance(node, exp.Extract):
            part = unit_name(node.this)
            if part not in PARTS:
                raise Refusal(f"EXTRACT({part.lower()})", node)
            return call("dwsim_date_part", text(part), node.expression)
        if type(node) in PART_FUNCS:
            return call("dwsim_date_part", text(PART_FUNCS[type(node)]), node.this)
        if isinstance(node, exp.LastDay):
            kind = "date" if source == "snowflake" or is_date(node.this) else "auto"
            return call("dwsim_last_day", node.this, text(kind))
        if isinstance(node, exp.ConvertTimezone):
            return call("dwsim_convert_tz", *_zones(node, source))
        if isinstance(node, FORMATTED) and node.args.get("format") is not None:
            if _numeric_arg(node):
                raise Refusal("TO_CHAR of a number with a format", node)
            return call("dwsim_to_char", node.this, text(_model(node, source)), text(source))
        if isinstance(node, PARSED):
            fmt = node.args.get("format")
            target = (
                "dwsim_to_date"
                if isinstance(node, exp.StrToDate | exp.TsOrDsToDate)
                else "dwsim_to_timestamp"
            )
            model = text(_model(node, source)) if fmt is not None else exp.Null()
            if node.args.get("safe"):  # TRY_TO_DATE / TRY_TO_TIMESTAMP: NULL, never a failure
                target = target.replace("dwsim_", "dwsim_try_")
            return call(target, node.this, model, text(source))
        if isinstance(node, exp.Cast | exp.TryCast) and node.to.this in (exp.DataType.Type.DATE,):
            return call("dwsim_cast_date", node.this)
        if (
            isinstance(node, exp.Cast | exp.TryCast)
            and node.to.is_type(*exp.DataType.TEMPORAL_TYPES)
            and type_of(node.this) != node.to.this
        ):
            if node.to.this in (exp.DataType.Type.TIME,):
                return node
            return call("dwsim_cast_timestamp", node.this)
        return node

    return fn


for _source in ("redshift", "snowflake"):
    rewrite("dates", sources=[_source], engines=["sqlite"])(_sqlite_dates(_source))


COMPARISONS = (exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE)
_KIND_ARG = {"dwsim_dateadd": 3, "dwsim_date_trunc": 2, "dwsim_last_day": 1}


def _sqlite_kind(node: exp.Expression) -> str | None:
    """Whether a SQLite operand holds a date or a timestamp (ISO text either way)."""
    if isinstance(node, exp.Anonymous):
        name = node.name.lower()
        if name == "dwsim_cast_date":
            return "date"
        if name in ("dwsim_cast_timestamp", "dwsim_convert_tz", "dwsim_to_timestamp"):
            return "timestamp"
        if name in _KIND_ARG and len(node.expressions) > _KIND_ARG[name]:
            kind = node.expressions[_KIND_ARG[name]].name
            return kind if kind in ("date", "timestamp") else None
        return None
    if is_date(node):
        return "date"
    return "timestamp" if is_timestamp(node) else None


def _zones(node: exp.Expression, source: str) -> list[exp.Expression]:
    src = node.args.get("source_tz")
    if src is None:
        if source == "snowflake":
            raise Refusal("CONVERT_TIMEZONE with two arguments", node)
        src = text("UTC")  # Redshift's session time zone
    return [src, node.args["target_tz"], node.args["timestamp"]]


def _raw(node: exp.Expression) -> str:
    raw = node.meta.get("dwsim_format") if node._meta else None
    return str(raw if raw is not None else node.args["format"].name)


def _model(node: exp.Expression, source: str) -> str:
    """The format model as the user wrote it (the parser keeps a converted copy)."""
    raw = node.meta.get("dwsim_format") if node._meta else None
    model = raw if raw is not None else node.args["format"].name
    try:
        tokens(model, source)
    except FormatError as error:
        raise Refusal(f"format model {model!r}", node, str(error)) from error
    return model


# --- PostgreSQL (the Redshift mock) ----------------------------------------------------------


def _interval(unit: str, amount: exp.Expression) -> exp.Expression:
    if unit == "QUARTER":
        unit, amount = (
            "MONTH",
            exp.Mul(this=exp.Paren(this=amount), expression=exp.Literal.number(3)),
        )
    if unit == "MILLISECOND":
        unit, amount = (
            "SECOND",
            exp.Div(this=exp.Paren(this=amount), expression=exp.Literal.number(1000)),
        )
    step = exp.Interval(this=text("1"), unit=exp.Var(this=unit))
    return exp.Mul(this=exp.Paren(this=amount), expression=step)


def _as_timestamp(node: exp.Expression) -> exp.Expression:
    keep = is_timestamp(node) or type_of(node) == exp.DataType.Type.TIME
    return node if keep else cast(node, "TIMESTAMP")


def _time_on_a_day(node: exp.Expression) -> exp.Expression:
    """A DATEDIFF operand as the timestamp dwsim_datediff takes: a TIME on one fixed day (two
    times count within a day), a TIMESTAMPTZ (SYSDATE, CURRENT_TIMESTAMP on PostgreSQL) as
    the session's (UTC) wall clock."""
    zoned = (exp.DataType.Type.TIMESTAMPTZ, exp.DataType.Type.TIMESTAMPLTZ)
    if isinstance(node, exp.CurrentTimestamp) or type_of(node) in zoned:
        return cast(node, "TIMESTAMP")
    if type_of(node) != exp.DataType.Type.TIME:
        return node
    day = cast(text("2000-01-01"), "DATE")
    return cast(exp.Paren(this=exp.Add(this=day, expression=node)), "TIMESTAMP")


NAIVE_TIMESTAMPS = (exp.DataType.Type.TIMESTAMP, exp.DataType.Type.TIMESTAMPNTZ)


def _pg_epoch_to_timestamp(node: exp.UnixToTime, source: str) -> exp.Expression:
    """TO_TIMESTAMP[_NTZ](number[, scale]) on PostgreSQL."""
    if isinstance(node.this, exp.Binary):
        # sqlglot writes TO_TIMESTAMP(x / POWER(10, scale)) without brackets around x, so
        # `a + b` would lose the scale on `a` only: bracket it.
        node = node.copy()
        node.set("this", exp.Paren(this=node.this))
    target = node.args.get("target_type")
    if (
        source == "snowflake"
        and isinstance(target, exp.DataType)
        and target.is_type(*NAIVE_TIMESTAMPS)
    ):
        # PostgreSQL's TO_TIMESTAMP(number) is a TIMESTAMPTZ; Snowflake's NTZ is the UTC
        # wall clock without a zone.
        return exp.Paren(this=exp.AtTimeZone(this=node, zone=text("UTC")))
    return node


def _postgres_dates(source: str) -> Rewrite:
    def fn(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.UnixToTime):
            return _pg_epoch_to_timestamp(node, source)
        if isinstance(node, ADDS):
            unit = _unit(node, ADD_UNITS, "DATEADD")
            kind = _result_kind(node, source, unit)
            total = exp.Paren(
                this=exp.Add(
                    this=_as_timestamp(node.this), expression=_interval(unit, _amount(node))
                )
            )
            if kind == "date":
                return cast(total, "DATE")
            return total
        if _date_plus_interval(node, source):
            return cast(node, "DATE")  # Snowflake: a date plus days or more stays a date
        if isinstance(node, DIFFS):
            unit = _unit(node, DIFF_UNITS, "DATEDIFF")
            return call(
                "dwsim_datediff",
                text(unit),
                _time_on_a_day(_as_timestamp(node.expression)),
                _time_on_a_day(_as_timestamp(node.this)),
            )
        if isinstance(node, TRUNCS):
            unit = _unit(node, DIFF_UNITS, "DATE_TRUNC")
            truncated = call("DATE_TRUNC", text(unit.lower()), _as_timestamp(node.this))
            if source == "snowflake" and is_date(node.this):
                return cast(truncated, "DATE")
            return truncated
        if isinstance(node, exp.Extract) or type(node) in PART_FUNCS:
            part = unit_name(node.this) if isinstance(node, exp.Extract) else PART_FUNCS[type(node)]
            value = node.expression if isinstance(node, exp.Extract) else node.this
            if part not in PARTS:
                raise Refusal(f"EXTRACT({part.lower()})", node)
            pg_part = {"WEEK": "WEEK", "DOW": "DOW", "DOY": "DOY"}.get(part, part)
            extracted = exp.Extract(this=exp.Var(this=pg_part), expression=_as_timestamp(value))
            return (
                cast(extracted, "DOUBLE PRECISION")
                if part in ("SECOND", "EPOCH")
                else cast(extracted, "BIGINT")
            )
        if isinstance(node, exp.ConvertTimezone):
            src, target, value = _zones(node, source)
            at_source = exp.AtTimeZone(this=_as_timestamp(value), zone=src)
            return exp.Paren(this=exp.AtTimeZone(this=at_source, zone=target))
        if isinstance(node, FORMATTED) and node.args.get("format") is not None:
            if _numeric_arg(node):  # PostgreSQL's number models are Redshift's
                if source != "redshift":
                    raise Refusal("TO_CHAR of a number with a format", node)
                return call("TO_CHAR", node.this, text(_raw(node)))
            model = _model(node, source)
            return call("TO_CHAR", _as_timestamp(node.this), text(_pg_model(model, source, node)))
        if isinstance(node, PARSED) and node.args.get("format") is not None:
            pg_model = text(_pg_model(_model(node, source), source, node))
            if node.args.get("safe"):  # TRY_TO_DATE / TRY_TO_TIMESTAMP: NULL, never a failure
                to_date = isinstance(node, exp.StrToDate | exp.TsOrDsToDate)
                name = "dwsim_try_to_date" if to_date else "dwsim_try_to_timestamp"
                return call(name, cast(node.this, "TEXT"), pg_model)
            if isinstance(node, exp.StrToDate | exp.TsOrDsToDate):
                return call("TO_DATE", node.this, pg_model)
            return cast(call("TO_TIMESTAMP", node.this, pg_model), "TIMESTAMP")
        return node

    return fn


for _source in ("redshift", "snowflake"):
    rewrite("dates", sources=[_source], engines=["postgres"])(_postgres_dates(_source))


def _numeric_arg(node: exp.Expression) -> bool:
    kind = node.this.type
    return isinstance(kind, exp.DataType) and kind.is_type(*exp.DataType.NUMERIC_TYPES)


SNOWFLAKE_TO_PG = {"MON": "Mon", "MMMM": "FMMonth", "DY": "Dy", "AM": "AM", "PM": "PM",
                   "FF": "US", "FF6": "US", "FF3": "MS"}  # fmt: skip


def _pg_model(model: str, source: str, node: exp.Expression) -> str:
    if source == "redshift":
        return model
    out = []
    for kind, piece in tokens(model, source):
        if kind == "element":
            if piece.startswith("FF") and piece not in SNOWFLAKE_TO_PG:
                raise Refusal(f"format element {piece}", node)
            out.append(SNOWFLAKE_TO_PG.get(piece, piece))
        else:
            out.append(f'"{piece}"' if piece.isalpha() else piece)
    return "".join(out)


# --- The Snowflake emulator (fakesnow on DuckDB) ---------------------------------------------


ISO_PARTS: dict[type[exp.Expression], str] = {exp.WeekOfYear: "WEEK", exp.YearOfWeek: "ISOYEAR", exp.YearOfWeekIso: "ISOYEAR",
             exp.DayOfWeekIso: "ISODOW"}  # fmt: skip


def _emulator_dates(source: str) -> Rewrite:
    def fn(node: exp.Expression) -> exp.Expression:
        if type(node) in ISO_PARTS:  # the emulator knows them as EXTRACT parts only
            return exp.Extract(this=exp.Var(this=ISO_PARTS[type(node)]), expression=node.this)
        if _date_plus_interval(node, source):
            return cast(node, "DATE")  # fakesnow answers a timestamp
        if isinstance(node, ADDS):
            unit = _unit(node, ADD_UNITS, "DATEADD")
            kind = _result_kind(node, source, unit)
            added = exp.DateAdd(this=node.this, expression=_amount(node), unit=exp.Var(this=unit))
            # fakesnow answers a timestamp for a date plus days; Snowflake keeps the date.
            if kind == "date":
                return cast(added, "DATE")
            if kind == "timestamp":
                return cast(added, "TIMESTAMP_NTZ", "snowflake")
            return added
        if isinstance(node, DIFFS):
            unit = _unit(node, DIFF_UNITS, "DATEDIFF")
            # Snowflake reads text arguments as timestamps; DuckDB has no DATE_DIFF of text.
            later, earlier = (
                cast(v, "TIMESTAMP_NTZ", "snowflake") if is_text(v) else v
                for v in (node.this, node.expression)
            )
            return exp.DateDiff(this=later, expression=earlier, unit=exp.Var(this=unit))
        if isinstance(node, TRUNCS):
            unit = _unit(node, DIFF_UNITS, "DATE_TRUNC")
            truncated = exp.TimestampTrunc(this=node.this, unit=exp.Var(this=unit))
            if source == "snowflake" and is_date(node.this):
                return cast(truncated, "DATE")  # fakesnow answers a timestamp
            return cast(truncated, "TIMESTAMP_NTZ", "snowflake")
        if isinstance(node, PARSED) and node.args.get("format") is not None:
            sf_model = text(_snowflake_model(_model(node, source), source, node))
            if node.args.get("safe"):  # TRY_TO_DATE / TRY_TO_TIMESTAMP: NULL, never a failure
                name = (
                    "TRY_TO_DATE"
                    if isinstance(node, exp.StrToDate | exp.TsOrDsToDate)
                    else "TRY_TO_TIMESTAMP"
                )
                return call(name, node.this, sf_model)
            if isinstance(node, exp.StrToDate | exp.TsOrDsToDate):
                return call("TO_DATE", node.this, sf_model)
            return call("TO_TIMESTAMP", node.this, sf_model)
        if isinstance(node, exp.ConvertTimezone):
            src, target, value = _zones(node, source)
            return exp.ConvertTimezone(source_tz=src, target_tz=target, timestamp=value)
        if isinstance(node, FORMATTED) and node.args.get("format") is not None:
            if _numeric_arg(node):
                raise Refusal("TO_CHAR of a number with a format", node)
            model = _model(node, source)
            # fakesnow drops the format of TO_CHAR; DuckDB's STRFTIME passes through it intact.
            return _emulator_to_char(node, node.this, model, source)
        return node

    return fn


for _source in ("redshift", "snowflake"):
    rewrite("dates", sources=[_source], engines=["snowflake"])(_emulator_dates(_source))


REDSHIFT_TO_SNOWFLAKE = {"Mon": "MON", "MON": "MON", "Month": "MMMM", "Dy": "DY", "DY": "DY",
                         "HH": "HH12", "AM": "AM", "PM": "PM"}  # fmt: skip


def _snowflake_model(model: str, source: str, node: exp.Expression) -> str:
    if source == "snowflake":
        # fakesnow knows HH24 only; letters that are no element stay text, quoted for it.
        return "".join(
            ("HH24" if piece == "HH" else piece)
            if kind == "element"
            else (f'"{piece}"' if piece.isalpha() else piece)
            for kind, piece in tokens(model, source)
        )
    out = []
    for kind, piece in tokens(model, source):
        if kind == "fm":
            continue
        if kind == "element":
            if piece not in REDSHIFT_TO_SNOWFLAKE and piece not in (
                "YYYY",
                "YY",
                "MM",
                "DD",
                "HH24",
                "HH12",
                "MI",
                "SS",
            ):
                raise Refusal(f"format element {piece}", node)
            out.append(REDSHIFT_TO_SNOWFLAKE.get(piece, piece))
        else:
            out.append(f'"{piece}"' if piece.isalpha() else piece)
    return "".join(out)


UNPADDED = {"%d": "%-d", "%m": "%-m", "%H": "%-H", "%I": "%-I", "%M": "%-M", "%S": "%-S",
            "%j": "%-j", "%y": "%-y"}  # fmt: skip


def _emulator_to_char(
    node: exp.Expression, value: exp.Expression, model: str, source: str
) -> exp.Expression:
    """A format model as DuckDB STRFTIME pieces joined with ||: names padded to 9 as
    PostgreSQL pads them, upper- and lower-case names, quarters and day numbers."""
    table = ELEMENTS[source]
    pieces: list[exp.Expression] = []
    pattern = ""
    fm = False

    def strftime(fmt: str) -> exp.Expression:
        return call("STRFTIME", value.copy(), text(fmt))

    def flush() -> None:
        nonlocal pattern
        if pattern:
            pieces.append(strftime(pattern))
            pattern = ""

    for kind, piece in tokens(model, source):
        if kind == "fm":
            fm = True
            continue
        if kind == "text":
            pattern += piece.replace("%", "%%")
            continue
        special = _special_element(piece, source, fm, strftime, value)
        if special is not None:
            flush()
            pieces.append(special)
        elif (found := table[piece][1]) is not None:
            pattern += UNPADDED.get(found, found) if fm else found
        else:
            raise Refusal(f"TO_CHAR format element {piece}", node)
        fm = False
    flush()
    result = pieces[0] if pieces else text("")
    for piece_node in pieces[1:]:
        result = exp.DPipe(this=result, expression=piece_node, safe=True)
    return result


def _special_element(
    piece: str,
    source: str,
    fm: bool,
    strftime: Callable[[str], exp.Expression],
    value: exp.Expression,
) -> exp.Expression | None:
    names = {"MONTH": "%B", "DAY": "%A", "MON": "%b", "DY": "%a"}
    upper = piece.upper()
    if source == "redshift" and upper in names and piece not in ("Mon", "Dy"):
        word: exp.Expression = strftime(names[upper])
        if upper in ("MONTH", "DAY") and not fm:
            word = call("RPAD", word, exp.Literal.number(9), text(" "))
        if piece.isupper():
            return call("UPPER", word)
        if piece.islower():
            return call("LOWER", word)
        return word
    if piece == "Q":
        return cast(call("QUARTER", value.copy()), "VARCHAR")
    if piece == "D" and source == "redshift":
        return cast(
            exp.Add(this=call("DAYOFWEEK", value.copy()), expression=exp.Literal.number(1)),
            "VARCHAR",
        )
    return None


@rewrite("dates", sources=["snowflake"], engines=["postgres", "snowflake"])
def current_timestamp_precision(node: exp.Expression) -> exp.Expression:
    """CURRENT_TIMESTAMP(p) reports at most p fractional digits (the reference allows fewer
    than asked): whole seconds for 0-2, milliseconds for 3-5 (the engines ignore p). SQLite's
    CURRENT_TIMESTAMP has whole seconds already."""
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


def _date_from_parts(engine: str) -> Rewrite:
    """DATE_FROM_PARTS(y, m, d): January 1 of y, plus m - 1 months, plus d - 1 days (so months
    and days out of range, zero or negative, move the date as Snowflake documents)."""

    def fn(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.DateFromParts):
            return node
        year, month, day = (node.args[k] for k in ("year", "month", "day"))
        if engine == "sqlite":
            return call("dwsim_date_from_parts", year, month, day)
        one = exp.Literal.number(1)
        start = call("MAKE_DATE", year, one, one.copy())
        steps = [
            exp.Mul(this=exp.Paren(this=exp.Sub(this=part, expression=one.copy())),
                    expression=exp.Interval(this=text("1"), unit=exp.var(unit)))
            for part, unit in ((month, "MONTH"), (day, "DAY"))
        ]  # fmt: skip
        moved = exp.Add(this=exp.Add(this=start, expression=steps[0]), expression=steps[1])
        return cast(moved, "DATE")

    return fn


for _engine in ("sqlite", "postgres"):
    rewrite("dates", sources=["snowflake"], engines=[_engine])(_date_from_parts(_engine))
