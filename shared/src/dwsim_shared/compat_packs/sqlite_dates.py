"""SQLite functions for dates and times. SQLite keeps dates as ISO text (`2024-03-17`,
`2024-03-17 10:11:12`); these read that text and answer in it, with the source's meaning."""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
import zoneinfo
from typing import Any
from zoneinfo import ZoneInfo

from dwsim_shared.compat_packs.formats import format_datetime, parse_datetime

# "12:30:00 +05:00": an offset after a blank, which fromisoformat reads only without it
_SPACED_OFFSET = re.compile(r"(\d)\s+([+-]\d{2}(?::?\d{2})?)$")
_TIME_OF_DAY = re.compile(r"\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?")
# A fixed offset as the rewrites spell it (`GMT-08:00`: east of Greenwich is positive).
_FIXED_ZONE = re.compile(r"GMT([+-])(\d{2}):(\d{2})")


@functools.cache
def _zone_names() -> dict[str, str]:
    return {name.upper(): name for name in zoneinfo.available_timezones()}


def zone(name: str) -> dt.tzinfo:
    fixed = _FIXED_ZONE.fullmatch(name)
    if fixed is None:  # names in any case, as both sources read them ('utc')
        return ZoneInfo(_zone_names().get(name.upper(), name))
    sign = 1 if fixed.group(1) == "+" else -1
    return dt.timezone(sign * dt.timedelta(hours=int(fixed.group(2)), minutes=int(fixed.group(3))))


_DAY_MON_YEAR = re.compile(r"[0-9]{1,2}-[A-Za-z]{3}-[0-9]{4}")
_MONTHS = "JANFEBMARAPRMAYJUNJULAUGSEPOCTNOVDEC"


def parse(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return dt.datetime(1970, 1, 1) + dt.timedelta(seconds=value)
    text = _SPACED_OFFSET.sub(r"\1\2", str(value).strip().replace("T", " "))
    if _TIME_OF_DAY.fullmatch(text):  # a TIME: on one fixed day (DATEDIFF of two times)
        return dt.datetime.combine(dt.date(2000, 1, 1), dt.time.fromisoformat(text))
    if _DAY_MON_YEAR.fullmatch(text):  # '05-Mar-2016', which Snowflake's AUTO format reads
        day, month, year = text.split("-")
        number = _MONTHS.find(month.upper())
        if number >= 0 and number % 3 == 0:
            return dt.datetime(int(year), number // 3 + 1, int(day))
    parsed = dt.datetime.fromisoformat(text)
    return parsed.replace(tzinfo=None) if parsed.tzinfo else parsed


def is_date_text(value: Any) -> bool:
    return isinstance(value, str) and len(value.strip()) == 10


def render(value: dt.datetime, kind: str, like: Any = None) -> str:
    if kind == "date" or (kind == "auto" and is_date_text(like)):
        return value.date().isoformat()
    text = value.isoformat(sep=" ")
    return text


def add_months(value: dt.datetime, months: int) -> dt.datetime:
    total = value.year * 12 + value.month - 1 + months
    year, month = divmod(total, 12)
    day = min(value.day, calendar.monthrange(year, month + 1)[1])
    return value.replace(year=year, month=month + 1, day=day)


STEPS = {"WEEK": dt.timedelta(weeks=1), "DAY": dt.timedelta(days=1),
         "HOUR": dt.timedelta(hours=1), "MINUTE": dt.timedelta(minutes=1),
         "SECOND": dt.timedelta(seconds=1), "MILLISECOND": dt.timedelta(milliseconds=1)}  # fmt: skip
MONTH_STEPS = {"YEAR": 12, "QUARTER": 3, "MONTH": 1}


def dateadd(unit: str, amount: Any, value: Any, kind: str) -> str | None:
    start = parse(value)
    if start is None or amount is None:
        return None
    if unit in MONTH_STEPS:
        return render(add_months(start, int(amount) * MONTH_STEPS[unit]), kind, value)
    return render(start + STEPS[unit] * float(amount), kind, value)


def _monday(value: dt.datetime) -> dt.date:
    return value.date() - dt.timedelta(days=value.weekday())


def datediff(unit: str, a: Any, b: Any) -> int | None:
    """Boundaries of `unit` crossed from a to b (Redshift and Snowflake both count this way)."""
    x, y = parse(a), parse(b)
    if x is None or y is None:
        return None
    if unit == "YEAR":
        return y.year - x.year
    if unit == "QUARTER":
        return (y.year * 4 + (y.month - 1) // 3) - (x.year * 4 + (x.month - 1) // 3)
    if unit == "MONTH":
        return (y.year * 12 + y.month) - (x.year * 12 + x.month)
    if unit == "WEEK":
        return (_monday(y) - _monday(x)).days // 7
    if unit == "DAY":
        return (y.date() - x.date()).days
    seconds = {"HOUR": 3600, "MINUTE": 60, "SECOND": 1}.get(unit)
    if seconds is None:
        raise ValueError(f"DATEDIFF unit {unit}")
    epoch = dt.datetime(1970, 1, 1)
    return int((y - epoch).total_seconds() // seconds - (x - epoch).total_seconds() // seconds)


FIRST_YEARS = {"DECADE": (10, 0), "CENTURY": (100, 1), "MILLENNIUM": (1000, 1)}


def date_trunc(unit: str, value: Any, kind: str) -> str | None:
    v = parse(value)
    if v is None:
        return None
    if unit in FIRST_YEARS:  # Redshift's decade starts in a year ending in 0, the others in 1
        size, first = FIRST_YEARS[unit]
        year = v.year - (v.year - first) % size
        v = v.replace(year=year, month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    elif unit == "YEAR":
        v = v.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    elif unit == "QUARTER":
        v = v.replace(
            month=(v.month - 1) // 3 * 3 + 1, day=1, hour=0, minute=0, second=0, microsecond=0
        )
    elif unit == "MONTH":
        v = v.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    elif unit == "WEEK":
        v = dt.datetime.combine(_monday(v), dt.time())
    elif unit == "DAY":
        v = v.replace(hour=0, minute=0, second=0, microsecond=0)
    elif unit == "HOUR":
        v = v.replace(minute=0, second=0, microsecond=0)
    elif unit == "MINUTE":
        v = v.replace(second=0, microsecond=0)
    elif unit == "SECOND":
        v = v.replace(microsecond=0)
    elif unit == "MILLISECOND":
        v = v.replace(microsecond=v.microsecond // 1000 * 1000)
    elif unit != "MICROSECOND":
        raise ValueError(f"DATE_TRUNC unit {unit}")
    return render(v, kind, value)


def date_part(unit: str, value: Any) -> float | int | None:
    v = parse(value)
    if v is None:
        return None
    parts = {
        "YEAR": v.year, "QUARTER": (v.month - 1) // 3 + 1, "MONTH": v.month, "DAY": v.day,
        "HOUR": v.hour, "MINUTE": v.minute, "DOW": (v.weekday() + 1) % 7,
        "DOY": v.timetuple().tm_yday, "WEEK": v.isocalendar()[1],
        "ISOYEAR": v.isocalendar()[0], "ISODOW": v.isoweekday(),
        "EPOCH": int((v - dt.datetime(1970, 1, 1)).total_seconds()),
        "MILLISECOND": v.second * 1000 + v.microsecond // 1000,
        "MICROSECOND": v.second * 1_000_000 + v.microsecond,
    }  # fmt: skip
    if unit == "SECOND":
        return v.second + v.microsecond / 1e6 if v.microsecond else v.second
    if unit not in parts:
        raise ValueError(f"date part {unit}")
    return parts[unit]


def to_char(value: Any, model: str, dialect: str) -> str | None:
    v = parse(value)
    return None if v is None else format_datetime(v, model, dialect)


def to_date(text: Any, model: str | None, dialect: str) -> str | None:
    if text is None:
        return None
    v = parse(text) if model is None else parse_datetime(str(text), model, dialect)
    return None if v is None else v.date().isoformat()


def to_timestamp(text: Any, model: str | None, dialect: str) -> str | None:
    if text is None:
        return None
    v = parse(text) if model is None else parse_datetime(str(text), model, dialect)
    return None if v is None else v.isoformat(sep=" ")


def convert_timezone(source: str | None, target: str | None, value: Any) -> str | None:
    v = parse(value)
    if v is None or source is None or target is None:
        return None
    moved = v.replace(tzinfo=zone(source)).astimezone(zone(target))
    return moved.replace(tzinfo=None).isoformat(sep=" ")


def last_day(value: Any, kind: str) -> str | None:
    v = parse(value)
    if v is None:
        return None
    end = v.replace(
        day=calendar.monthrange(v.year, v.month)[1], hour=0, minute=0, second=0, microsecond=0
    )
    return render(end, kind, value)


def cast_date(value: Any) -> str | None:
    v = parse(value)
    return None if v is None else v.date().isoformat()


def cast_timestamp(value: Any) -> str | None:
    v = parse(value)
    return None if v is None else v.isoformat(sep=" ")


FUNCTIONS = {
    "dwsim_dateadd": (dateadd, 4), "dwsim_datediff": (datediff, 3),
    "dwsim_date_trunc": (date_trunc, 3), "dwsim_date_part": (date_part, 2),
    "dwsim_to_char": (to_char, 3), "dwsim_to_date": (to_date, 3),
    "dwsim_to_timestamp": (to_timestamp, 3), "dwsim_convert_tz": (convert_timezone, 3),
    "dwsim_last_day": (last_day, 2), "dwsim_cast_date": (cast_date, 1),
    "dwsim_cast_timestamp": (cast_timestamp, 1),
}  # fmt: skip
