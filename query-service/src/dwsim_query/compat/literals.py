"""Redshift input the engines read differently, made explicit before the other rewrites run:
compact date literals (`'20220502 04:05:06'`), time zone names (abbreviations and POSIX-style
offsets), LAST_DAY of a text literal, AT TIME ZONE on SQLite, ARRAY element rules and the
`null_if_invalid` argument of the JSON functions. What an engine cannot carry is refused by
name here, before it reaches the engine as an engine error."""

from __future__ import annotations

import functools
import json
import re
import zoneinfo

from sqlglot import exp

from dwsim_query.compat.nodes import Refusal, call, cast, text, type_of
from dwsim_query.compat.registry import ORIGIN, Rewrite, combine, compat_engines, origin_of, rewrite
from dwsim_shared.compat_packs.formats import FormatError, parse_datetime

T = exp.DataType.Type
DATE_TYPES = (T.DATE, T.TIMESTAMP, T.TIMESTAMPTZ, T.TIMESTAMPNTZ, T.DATETIME)
# `YYYYMMDD` with an optional time of day: Redshift reads it as a date; the emulator does not.
_COMPACT = re.compile(r"\s*(\d{4})(\d{2})(\d{2})(?=$|[\sT])(.*)", re.S)


def _iso(value: str) -> str | None:
    found = _COMPACT.fullmatch(value)
    if found is None:
        return None
    year, month, day, rest = found.groups()
    return f"{year}-{month}-{day}{rest}"


def compact_dates(node: exp.Expression) -> exp.Expression:
    """`DATE '20220502'`, `TIMESTAMP '20220502 04:05:06.789'` as ISO text."""
    if (
        isinstance(node, exp.Cast | exp.TryCast)
        and node.to.this in DATE_TYPES
        and isinstance(node.this, exp.Literal)
        and node.this.is_string
        and (iso := _iso(node.this.name)) is not None
    ):
        node.this.replace(text(iso))
    if isinstance(node, exp.ConvertTimezone):
        value = node.args.get("timestamp")
        if isinstance(value, exp.Literal) and value.is_string and (iso := _iso(value.name)):
            value.replace(text(iso))
    return node


# PostgreSQL's (and so Redshift's) default abbreviations, hours east of Greenwich: an
# abbreviation is a fixed offset there (PST is always UTC-8), read before zone names.
ABBREVIATIONS = {
    "UTC": 0, "GMT": 0, "UT": 0, "Z": 0, "ZULU": 0, "WET": 0, "WEST": 1, "BST": 1, "CET": 1,
    "CEST": 2, "MET": 1, "MEST": 2, "EET": 2, "EEST": 3, "MSK": 3, "IST": 2, "JST": 9,
    "KST": 9, "HKT": 8, "AWST": 8, "ACST": 9.5, "ACDT": 10.5, "AEST": 10, "AEDT": 11,
    "NZST": 12, "NZDT": 13, "AST": -4, "ADT": -3, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5,
    "MST": -7, "MDT": -6, "PST": -8, "PDT": -7, "AKST": -9, "AKDT": -8, "HST": -10,
    "NST": -3.5, "NDT": -2.5,
}  # fmt: skip
# POSIX-style: a name, then hours WEST of Greenwich ('NEWZONE +2' is UTC-2).
_POSIX = re.compile(r"\s*([A-Za-z][A-Za-z_/]*)\s*([+-])\s*(\d{1,2})(?::(\d{2}))?\s*")


@functools.cache
def _zone_names() -> dict[str, str]:
    return {name.upper(): name for name in zoneinfo.available_timezones()}


def _fixed(minutes_east: int) -> str:
    sign = "+" if minutes_east >= 0 else "-"
    hours, minutes = divmod(abs(minutes_east), 60)
    return f"GMT{sign}{hours:02d}:{minutes:02d}"


def zone_literal(name: str) -> str | None:
    """The zone as both SQLite's pack and the emulator read it (an IANA name or `GMT±HH:MM`),
    or None when Redshift would not know it either."""
    key = name.strip().upper()
    if key in _zone_names() and not ABBREVIATIONS.get(key):  # UTC, GMT: kept as written
        return _zone_names()[key]
    if key in ABBREVIATIONS:
        return _fixed(round(ABBREVIATIONS[key] * 60))
    if key in _zone_names():
        return _zone_names()[key]
    posix = _POSIX.fullmatch(name)
    if posix is not None:
        _, sign, hours, minutes = posix.groups()
        west = int(hours) * 60 + int(minutes or 0)
        return _fixed(-west if sign == "+" else west)
    return None


def _zone_arg(node: exp.Expression, zone: exp.Expression | None, what: str) -> None:
    if not (isinstance(zone, exp.Literal) and zone.is_string):
        return
    known = zone_literal(zone.name)
    if known is None:
        raise Refusal(f"{what} with time zone {zone.name!r}", node)
    zone.replace(text(known))


def zones(node: exp.Expression) -> exp.Expression:
    """CONVERT_TIMEZONE with an abbreviation ('PST') or a POSIX offset ('NEWZONE +2')."""
    if isinstance(node, exp.ConvertTimezone):
        for key in ("source_tz", "target_tz"):
            _zone_arg(node, node.args.get(key), "CONVERT_TIMEZONE")
    return node


def at_time_zone_emulator(node: exp.Expression) -> exp.Expression:
    """`x AT TIME ZONE 'PST'`: the emulator reads an abbreviation as the region's zone (PDT in
    summer); Redshift reads it as the fixed offset (-08). Written as that offset here."""
    if isinstance(node, exp.AtTimeZone):
        _zone_arg(node, node.args.get("zone"), "AT TIME ZONE")
    return node


def at_time_zone_sqlite(node: exp.Expression) -> exp.Expression:
    """`timestamp AT TIME ZONE z` (a TIMESTAMPTZ: the local time of z, in UTC) on SQLite,
    where a timestamp is naive ISO text; a TIMESTAMPTZ operand is refused."""
    if not isinstance(node, exp.AtTimeZone):
        return node
    zone = node.args.get("zone")
    if type_of(node.this) not in (T.TIMESTAMP, T.TIMESTAMPNTZ) or not (
        isinstance(zone, exp.Literal) and zone.is_string
    ):
        inner = [origin_of(n) for n in node.walk() if n._meta and ORIGIN in n.meta]
        if inner and inner[0] is not None:  # the operator has no place of its own: its operand's
            node.meta[ORIGIN] = ("AT TIME ZONE", inner[0][1], inner[0][2])
        raise Refusal("AT TIME ZONE of a TIMESTAMPTZ or a zone that is not a literal", node)
    _zone_arg(node, zone, "AT TIME ZONE")
    return exp.ConvertTimezone(
        source_tz=node.args["zone"], target_tz=text("UTC"), timestamp=node.this
    )


def last_day_of_text(node: exp.Expression) -> exp.Expression:
    """LAST_DAY('2024-02-10'): Redshift reads the text as a date; the engines cannot choose."""
    if isinstance(node, exp.LastDay) and isinstance(node.this, exp.Literal) and node.this.is_string:
        node.set("this", cast(node.this.copy(), "DATE"))
    return node


def _kind(node: exp.Expression) -> str | None:
    if isinstance(node, exp.Null):
        return None
    if isinstance(node, exp.Boolean):
        return "boolean"
    if isinstance(node, exp.Literal):
        return "text" if node.is_string else "number"
    kind = type_of(node)
    if kind is None or kind == T.UNKNOWN:
        return "unknown"
    return "text" if kind in (T.VARCHAR, T.TEXT, T.CHAR) else str(kind)


def arrays(engine: str) -> Rewrite:
    """ARRAY(...) is a SUPER array of any values in Redshift; PostgreSQL arrays take one
    element type (mixed elements: a JSONB array), the emulator takes neither mixed
    elements nor NULLs."""

    def fn(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Array):
            return node
        kinds = {_kind(e) for e in node.expressions} - {None}
        mixed = len(kinds) > 1 or "unknown" in kinds
        if engine == "postgres" and mixed:
            return call("jsonb_build_array", *node.expressions)
        if engine == "snowflake" and mixed:
            raise Refusal("ARRAY of elements of different types", node)
        if engine == "snowflake" and any(isinstance(e, exp.Null) for e in node.expressions):
            raise Refusal("ARRAY with a NULL element", node)
        return node

    return fn


def _valid_json_literal(node: exp.Expression) -> bool | None:
    if not (isinstance(node, exp.Literal) and node.is_string):
        return None
    try:
        json.loads(node.name)
    except ValueError:
        return False
    return True


def _null_if_invalid(
    node: exp.Expression, document: exp.Expression, flag: exp.Expression, engine: str
) -> exp.Expression | None:
    """The `null_if_invalid` argument: None when the call stands as it is, else its value."""
    if not isinstance(flag, exp.Boolean):
        raise Refusal("null_if_invalid that is not TRUE or FALSE", node)
    if not flag.this:
        return None
    valid = _valid_json_literal(document)
    if valid is False:
        return exp.Null()
    if valid is None and engine != "sqlite":
        raise Refusal("null_if_invalid TRUE of a document that is not a literal", node)
    return call("json_valid", document) if valid is None else None


def json_paths(engine: str) -> Rewrite:
    """JSON_EXTRACT_PATH_TEXT(json, key, ... [, null_if_invalid]) and
    JSON_ARRAY_LENGTH(json [, null_if_invalid]): every key kept, the flag honoured."""

    def fn(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Anonymous) and node.name.upper() == "JSON_ARRAY_LENGTH":
            if len(node.expressions) != 2:
                return node
            document, flag = node.expressions
            check = _null_if_invalid(node, document, flag, engine)
            plain = exp.Anonymous(this=node.this, expressions=[document.copy()])
            if isinstance(check, exp.Null):
                return check
            if check is None:
                return plain
            return exp.Case(ifs=[exp.If(this=check, true=plain)])
        if not isinstance(node, exp.JSONExtractScalar):
            return node
        if isinstance(node.this.unnest(), exp.Null):  # the mock could not type an untyped NULL
            return exp.Null()
        document = node.this
        if (
            engine == "postgres"
            and not isinstance(document, exp.Literal)
            and type_of(document) in exp.DataType.TEXT_TYPES
        ):
            # A VARCHAR column is parsed (the mock has no `text #>> text` operator; the
            # generator casts a literal itself).
            node.set("this", cast(node.this.copy(), "JSON"))
        path = node.expression
        steps = path.expressions if isinstance(path, exp.JSONPath) else [path]
        empty = [k for k in [*steps, *node.expressions] if k.name == "" and k.this == ""]
        if engine == "snowflake" and empty:
            # An empty key names no element of the document: NULL (the function's prose);
            # the emulator's path language has no empty key.
            raise Refusal("JSON_EXTRACT_PATH_TEXT with an empty path element", node)
        if not node.expressions:
            return node
        keys = [node.expression, *node.expressions]
        check = None
        if isinstance(keys[-1], exp.Boolean):
            check = _null_if_invalid(node, node.this, keys.pop(), engine)
            if isinstance(check, exp.Null):
                return check
        if not all(isinstance(k, exp.Literal) and k.is_string for k in keys):
            raise Refusal("a JSON path that is not a constant", node)
        path = exp.JSONPath(
            expressions=[exp.JSONPathRoot()] + [exp.JSONPathKey(this=k.name) for k in keys]
        )
        extracted = exp.JSONExtractScalar(this=node.this, expression=path)
        extracted.type = node.type
        if check is None:
            return extracted
        return exp.Case(ifs=[exp.If(this=check, true=extracted)])

    return fn


def out_of_range_literals(node: exp.Expression) -> exp.Expression:
    """TO_DATE / TO_TIMESTAMP of literal text past a field's range ('20010631'): Redshift's
    default (is_strict FALSE) moves it on (2001-07-01), where the engines fail; the value is
    read here. With is_strict TRUE, or text in range, the call stays as it is."""
    parsed = (exp.StrToDate, exp.StrToTime)
    if not isinstance(node, parsed) or not isinstance(node.this, exp.Literal):
        return node
    raw = node.meta.get("dwsim_format") if node._meta else None
    if raw is None or not node.this.is_string or node.meta.get("dwsim_strict"):
        return node
    try:
        parse_datetime(node.this.name, str(raw), "redshift")
        return node
    except FormatError:
        return node
    except ValueError:
        pass
    try:
        moved = parse_datetime(node.this.name, str(raw), "redshift", strict=False)
    except ValueError:
        return node
    if isinstance(node, exp.StrToDate):
        return cast(text(moved.date().isoformat()), "DATE")
    return cast(text(moved.isoformat(sep=" ")), "TIMESTAMP")


# First of their families (`first`): the rewrites after them read ISO dates, known zones, whole paths.
for _engine in compat_engines():
    rewrite("semistructured", sources=["redshift"], engines=[_engine], first=True)(
        combine(arrays(_engine), json_paths(_engine))
    )
    _dates: list[Rewrite] = [compact_dates, out_of_range_literals]
    if _engine != "postgres":  # PostgreSQL reads abbreviations and POSIX zones itself
        _dates.append(zones)
    if _engine == "sqlite":
        _dates.append(at_time_zone_sqlite)
    else:
        _dates.append(last_day_of_text)
    if _engine == "snowflake":
        _dates.append(at_time_zone_emulator)
    rewrite("dates", sources=["redshift"], engines=[_engine], first=True)(combine(*_dates))
