"""Snowflake's TIME_SLICE(value, length, part[, 'START' | 'END']) for SQLite: slices aligned to
1970-01-01 00:00:00 (weeks to the Monday of the week holding it, 1969-12-29), the start of the
slice holding the value or its end (the start of the next one). A DATE gives a DATE.

https://docs.snowflake.com/en/sql-reference/functions/time_slice
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from dwsim_shared.compat_packs.sqlite_dates import is_date_text, parse, render

_EPOCH = dt.datetime(1970, 1, 1)
_WEEKS_FROM = dt.datetime(1969, 12, 29)
_MONTHS = {"YEAR": 12, "QUARTER": 3, "MONTH": 1}
_SECONDS = {"WEEK": 7 * 86400, "DAY": 86400, "HOUR": 3600, "MINUTE": 60, "SECOND": 1}


def time_slice(value: Any, length: Any, part: Any, end: Any) -> str | None:
    """`dwsim_time_slice(value, length, part, end)`."""
    moment = parse(value)
    if moment is None or length is None:
        return None
    size, unit = int(length), str(part).upper()
    if size < 1:
        raise ValueError(f"TIME_SLICE: the slice length {size} is not 1 or more")
    if unit in _MONTHS:
        months = (moment.year - 1970) * 12 + moment.month - 1
        width = size * _MONTHS[unit]
        first = months // width * width + (width if end else 0)
        start = dt.datetime(1970 + first // 12, first % 12 + 1, 1)
    elif unit in _SECONDS:
        origin = _WEEKS_FROM if unit == "WEEK" else _EPOCH
        width = size * _SECONDS[unit]
        elapsed = (moment - origin) // dt.timedelta(seconds=1)
        first = elapsed // width * width + (width if end else 0)
        start = origin + dt.timedelta(seconds=first)
    else:
        raise ValueError(f"TIME_SLICE: unknown date or time part {part}")
    return render(start, "date" if is_date_text(value) else "timestamp")
