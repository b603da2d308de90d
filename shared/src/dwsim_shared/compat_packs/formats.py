"""Date format models of Redshift (PostgreSQL's `TO_CHAR`) and Snowflake, in Python.

A model is split into elements (`YYYY`, `Mon`, `HH24`, ...) and literal text; the same split
formats a value, parses a string, or becomes a `strftime` pattern for engines that have one.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Any

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]  # fmt: skip
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


class FormatError(ValueError):
    """A format element this implementation does not know."""


def _case(word: str, element: str) -> str:
    if element.isupper():
        return word.upper()
    if element.islower():
        return word.lower()
    return word


# element -> (formatter, strftime pattern or None, parse regex); the emulator's TO_CHAR
# rewrite (compat/dates) builds STRFTIME from the pattern
def _redshift_elements() -> dict[str, tuple[Any, ...]]:
    def month_name(e: str, pad: bool) -> tuple[Any, ...]:
        def fmt(v: dt.datetime, fm: bool) -> str:
            word = _case(MONTHS[v.month - 1], e)
            return word if fm or not pad else word.ljust(9)

        return (fmt, None, r"[A-Za-z]+")

    def day_name(e: str, pad: bool) -> tuple[Any, ...]:
        def fmt(v: dt.datetime, fm: bool) -> str:
            word = _case(DAYS[v.weekday()], e)
            return word if fm or not pad else word.ljust(9)

        return (fmt, None, r"[A-Za-z]+")

    def num(get: Any, width: int, strf: str | None) -> tuple[Any, ...]:
        return (
            lambda v, fm: str(get(v)) if fm else str(get(v)).zfill(width),
            strf,
            rf"\d{{1,{width}}}",
        )

    table = {
        "YYYY": num(lambda v: v.year, 4, "%Y"),
        "YY": num(lambda v: v.year % 100, 2, "%y"),
        "MM": num(lambda v: v.month, 2, "%m"),
        "DD": num(lambda v: v.day, 2, "%d"),
        "DDD": num(lambda v: v.timetuple().tm_yday, 3, "%j"),
        "HH24": num(lambda v: v.hour, 2, "%H"),
        "HH12": num(lambda v: (v.hour % 12) or 12, 2, "%I"),
        "HH": num(lambda v: (v.hour % 12) or 12, 2, "%I"),
        "MI": num(lambda v: v.minute, 2, "%M"),
        "SS": num(lambda v: v.second, 2, "%S"),
        "MS": num(lambda v: v.microsecond // 1000, 3, None),
        "US": num(lambda v: v.microsecond, 6, "%f"),
        "Q": num(lambda v: (v.month - 1) // 3 + 1, 1, None),
        "D": num(lambda v: (v.weekday() + 1) % 7 + 1, 1, None),
        "IW": num(lambda v: v.isocalendar()[1], 2, "%V"),
    }
    for e in ("MONTH", "Month", "month"):
        table[e] = month_name(e, True)
    for e in ("MON", "Mon", "mon"):
        table[e] = (
            lambda v, fm, e=e: _case(MONTHS[v.month - 1][:3], e),
            "%b" if e == "Mon" else None,
            r"[A-Za-z]{3}",
        )
    for e in ("DAY", "Day", "day"):
        table[e] = day_name(e, True)
    for e in ("DY", "Dy", "dy"):
        table[e] = (
            lambda v, fm, e=e: _case(DAYS[v.weekday()][:3], e),
            "%a" if e == "Dy" else None,
            r"[A-Za-z]{3}",
        )
    for e in ("AM", "PM", "am", "pm"):
        table[e] = (
            lambda v, fm, e=e: _case("PM" if v.hour >= 12 else "AM", e),
            "%p" if e.isupper() else None,
            r"[AaPp][Mm]",
        )
    return table


def _snowflake_elements() -> dict[str, tuple[Any, ...]]:
    base = _redshift_elements()
    # Snowflake's elements are case-insensitive; names come out capitalised ("Mar", "Sun").
    table = {k: base[k] for k in ("YYYY", "YY", "MM", "DD", "HH24", "HH12", "MI", "SS")}
    table["HH"] = base["HH24"]  # Snowflake reads a bare HH as the 24-hour clock
    table["MON"] = base["Mon"]
    table["MMMM"] = (lambda v, fm: MONTHS[v.month - 1], "%B", r"[A-Za-z]+")
    table["DY"] = base["Dy"]
    table["AM"] = table["PM"] = base["AM"]
    for digits in range(9, -1, -1):
        table[f"FF{digits}" if digits else "FF"] = (
            lambda v, fm, n=digits or 9: f"{v.microsecond:06d}{'0' * 3}"[:n],
            None,
            r"\d+",
        )
    return table


ELEMENTS = {"redshift": _redshift_elements(), "snowflake": _snowflake_elements()}


CASELESS = ("HH24", "HH12", "YYYY", "DDD", "HH", "YY", "MM", "DD", "MI", "SS", "MS", "US",
            "IW", "Q", "D")  # fmt: skip


@lru_cache(maxsize=512)
def tokens(model: str, dialect: str) -> tuple[tuple[str, str], ...]:
    """The model as (kind, text) pairs: kind is `element`, `fm` or `text`."""
    table = ELEMENTS[dialect]
    names = sorted(table, key=len, reverse=True)
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(model):
        if model[i] == '"':
            end = model.find('"', i + 1)
            end = len(model) if end < 0 else end
            out.append(("text", model[i + 1 : end]))
            i = end + 1
            continue
        if dialect == "redshift" and model[i : i + 2].upper() == "FM":
            out.append(("fm", ""))
            i += 2
            continue
        probe = model[i:] if dialect == "redshift" else model[i:].upper()
        found = next((n for n in names if probe.startswith(n)), None)
        if dialect == "redshift":
            # Numbers read the same in any case (`yyyy`); only names print in the case given.
            upper = next((n for n in CASELESS if model[i:].upper().startswith(n)), None)
            if upper is not None and (found is None or len(upper) > len(found)):
                found = upper
        if found is None:
            # Snowflake prints letters that are no element as they are ('hh24:mi hours').
            if model[i].isalpha() and dialect == "redshift":
                raise FormatError(f"format element at {model[i:]!r}")
            out.append(("text", model[i]))
            i += 1
        else:
            out.append(("element", found))
            i += len(found)
    return tuple(out)


def format_datetime(value: dt.datetime, model: str, dialect: str) -> str:
    table = ELEMENTS[dialect]
    parts, fm = [], False
    for kind, piece in tokens(model, dialect):
        if kind == "fm":
            fm = True
        elif kind == "element":
            parts.append(table[piece][0](value, fm))
            fm = False  # PostgreSQL's FM applies to the next element only (Oracle's to all)
        else:
            parts.append(piece)
    return "".join(parts)


@lru_cache(maxsize=512)
def parse_pattern(model: str, dialect: str) -> tuple[str, tuple[str, ...]]:
    """The regular expression a string (stripped of surrounding blanks) must match whole to be
    read by `model`, one group per element, and the elements' names. Written in the syntax
    Python's `re` and PostgreSQL's `~` share (the Redshift mock's strict Snowflake parse)."""
    table = ELEMENTS[dialect]
    regex, names = [], []
    for kind, piece in tokens(model, dialect):
        if kind == "element":
            regex.append(f"({table[piece][2]})")
            names.append(piece.upper())
        elif kind == "text":
            regex.append(r"\s*" if piece.isspace() else re.escape(piece))
    return "".join(regex), tuple(names)


def parse_datetime(text: str, model: str, dialect: str, *, strict: bool = True) -> dt.datetime:
    """A string read by a model (numeric elements, month names, AM/PM). Not strict (Redshift's
    default for TO_DATE and TO_TIMESTAMP): a day, hour, minute or second past its range moves
    on to the next month, day, hour or minute (20010631 is 2001-07-01)."""
    pattern, names = parse_pattern(model, dialect)
    match = re.fullmatch(pattern, text.strip())
    if match is None:
        raise ValueError(f"{text!r} does not match the format {model!r}")
    got = dict(zip(names, match.groups(), strict=True))
    year = int(got["YYYY"]) if "YYYY" in got else 2000 + int(got["YY"]) if "YY" in got else 1970
    month = 1
    if "MM" in got:
        month = int(got["MM"])
    for key in ("MON", "MONTH", "MMMM"):
        if key in got:
            month = [m[: len(got[key])].lower() for m in MONTHS].index(got[key].lower()) + 1
    hour = int(got.get("HH24", got.get("HH12", got.get("HH", 0))))
    if got.get("AM", got.get("PM", "")).upper() == "PM" and hour < 12:
        hour += 12
    day, minute, second = int(got.get("DD", 1)), int(got.get("MI", 0)), int(got.get("SS", 0))
    micro = _fraction(got)
    if strict:
        return dt.datetime(year, month, day, hour, minute, second, micro)
    return dt.datetime(year, month, 1) + dt.timedelta(
        days=day - 1, hours=hour, minutes=minute, seconds=second, microseconds=micro
    )


def _fraction(got: dict[str, str]) -> int:
    """Microseconds from the fraction elements: digits after the decimal point, as PostgreSQL
    reads MS and US and Snowflake FF (`SS.MS` of '12.3' is 300 ms). Past microseconds the
    engines cannot keep the value: fail rather than drop or round digits."""
    digits = next((v for k, v in got.items() if k.startswith("FF") or k in ("MS", "US")), None)
    if digits is None:
        return 0
    if len(digits) > 6:
        raise ValueError(f"fraction of a second {digits!r} past microseconds")
    if "MS" in got:
        return int(digits.ljust(3, "0")) * 1000
    return int(digits.ljust(6, "0"))
