"""Format models: TO_CHAR of a date or time (`FORMATTED`) and TO_DATE / TO_TIMESTAMP with a
format (`PARSED`), one rewrite per construct and engine, and the models each engine reads."""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from dwsim_query.compat.dates.arithmetic import as_timestamp
from dwsim_query.compat.dates.common import (
    FORMATTED,
    PARSED,
    format_model,
    numeric_arg,
    on,
    raw_format,
)
from dwsim_query.compat.nodes import Refusal, call, cast, text
from dwsim_shared.compat_packs.formats import ELEMENTS, parse_pattern, tokens

# --- SQLite: the pack's functions read both sources' models ---------------------------------


@on(*FORMATTED)
def to_char_sqlite(node: exp.Expression, source: str) -> exp.Expression:
    if node.args.get("format") is None:
        return node
    return call("dwsim_to_char", node.this, text(_date_model(node, source)), text(source))


def _date_model(node: exp.Expression, source: str) -> str:
    """The format model of TO_CHAR of a date or a time (a number's models are refused)."""
    if numeric_arg(node):
        raise Refusal("TO_CHAR of a number with a format", node)
    return format_model(node, source)


@on(*PARSED)
def parse_sqlite(node: exp.Expression, source: str) -> exp.Expression:
    """TO_DATE / TO_TIMESTAMP (with or without a format) as the pack's parsers."""
    fmt = node.args.get("format")
    target = "dwsim_to_date" if _to_date(node) else "dwsim_to_timestamp"
    model = text(format_model(node, source)) if fmt is not None else exp.Null()
    if node.args.get("safe"):  # TRY_TO_DATE / TRY_TO_TIMESTAMP: NULL, never a failure
        target = target.replace("dwsim_", "dwsim_try_")
    return call(target, node.this, model, text(source))


def _to_date(node: exp.Expression) -> bool:
    """TO_DATE, not TO_TIMESTAMP."""
    return isinstance(node, exp.StrToDate | exp.TsOrDsToDate)


# --- PostgreSQL (the Redshift mock): Redshift's models are PostgreSQL's ----------------------


@on(*FORMATTED)
def to_char_postgres(node: exp.Expression, source: str) -> exp.Expression:
    if node.args.get("format") is None:
        return node
    if numeric_arg(node):  # PostgreSQL's number models are Redshift's
        if source != "redshift":
            raise Refusal("TO_CHAR of a number with a format", node)
        return call("TO_CHAR", node.this, text(raw_format(node)))
    model = format_model(node, source)
    return call("TO_CHAR", as_timestamp(node.this), text(_pg_model(model, source, node)))


@on(*PARSED)
def parse_postgres(node: exp.Expression, source: str) -> exp.Expression:
    if node.args.get("format") is None:
        return node
    model = format_model(node, source)
    pg_model = text(_pg_model(model, source, node))
    if source == "snowflake":
        # Snowflake reads the text by the model whole; PostgreSQL's to_timestamp reads what it
        # can (' 12 ' as 'YYYY-MM-DD' is the year 12). TRY_ forms: NULL, never a failure.
        safe = exp.Boolean(this=bool(node.args.get("safe")))
        pattern = text(parse_pattern(model, source)[0])
        parsed = call("dwsim_sf_parse", cast(node.this, "TEXT"), pattern, pg_model, safe)
        return cast(parsed, "DATE") if _to_date(node) else parsed
    if node.args.get("safe"):  # Redshift has no TRY_TO_DATE
        raise Refusal("TRY_TO_DATE with a format", node)
    if _to_date(node):
        return call("TO_DATE", node.this, pg_model)
    # PostgreSQL's TO_TIMESTAMP answers a TIMESTAMPTZ: the sources' is without a zone.
    return cast(call("TO_TIMESTAMP", node.this, pg_model), "TIMESTAMP")


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


@on(*PARSED)
def parse_emulator(node: exp.Expression, source: str) -> exp.Expression:
    if node.args.get("format") is None:
        return node
    sf_model = text(_snowflake_model(format_model(node, source), source, node))
    # TRY_TO_DATE / TRY_TO_TIMESTAMP: NULL, never a failure
    name = ("TRY_" if node.args.get("safe") else "") + (
        "TO_DATE" if _to_date(node) else "TO_TIMESTAMP"
    )
    return call(name, node.this, sf_model)


@on(*FORMATTED)
def to_char_emulator(node: exp.Expression, source: str) -> exp.Expression:
    if node.args.get("format") is None:
        return node
    # fakesnow drops the format of TO_CHAR; DuckDB's STRFTIME passes through it intact.
    return _emulator_to_char(node, node.this, _date_model(node, source), source)


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
