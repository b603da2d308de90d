"""Dates and times on each engine: one rewrite per construct and engine, registered below as
the `dates` family of the chain (after `compat/times.py`'s, which prepare what these read).

Where each construct is rewritten (`<construct>_<engine>`; the emulator is Snowflake's):

| construct | module |
|---|---|
| DATEADD, DATEDIFF, `± INTERVAL`, `date ± days`, `date - date`, DATE_FROM_PARTS | `arithmetic.py` |
| DATE_TRUNC, LAST_DAY, CURRENT_TIMESTAMP(p) | `truncation.py` |
| EXTRACT, YEAR() / DAYOFWEEK() / WEEKISO()... | `parts.py` |
| CONVERT_TIMEZONE | `zones.py` |
| TO_CHAR with a format, TO_DATE / TO_TIMESTAMP with a format | `formats.py` |
| casts to dates and timestamps, date-with-timestamp comparisons (SQLite), TO_TIMESTAMP of a number (PostgreSQL) | `casts.py` |
| DAYNAME, MONTHNAME, PREVIOUS_DAY, TIMESTAMP_FROM_PARTS, TIME_FROM_PARTS (as TO_CHAR, DATEADD, DATE_FROM_PARTS) | `named.py` |
| TRY_TO_TIME, TRY_TO_BOOLEAN | `tries.py` |
| units, result kinds, INTERVAL literals, zones and models they share | `common.py` |
"""

from __future__ import annotations

from dwsim_query.compat import times  # noqa: F401  (its rewrites run before these)
from dwsim_query.compat.dates import (  # noqa: F401  (named, tries: passes of their own)
    arithmetic,
    casts,
    formats,
    named,
    parts,
    tries,
    truncation,
    zones,
)
from dwsim_query.compat.dates.common import Construct
from dwsim_query.compat.registry import Rewrite, combine, rewrite

# Each engine's date rewrites, in the order a node meets them: one pass over the tree per source
# and engine (`combine`). None of them matches a node that one before it built, so each node is
# rewritten by the first that matches it. SQLite's comparisons read the calls the rewrites
# before them built below the comparison (the pass goes children first).
BY_ENGINE: dict[str, list[Construct]] = {
    "sqlite": [
        arithmetic.dateadd_sqlite,
        arithmetic.datediff_sqlite,
        truncation.date_trunc_sqlite,
        casts.comparisons_sqlite,
        arithmetic.interval_arithmetic_sqlite,
        arithmetic.date_minus_date_sqlite,
        arithmetic.date_plus_days_sqlite,
        parts.extract_sqlite,
        parts.part_functions_sqlite,
        truncation.last_day_sqlite,
        zones.convert_timezone_sqlite,
        formats.to_char_sqlite,
        formats.parse_sqlite,
        casts.casts_sqlite,
    ],
    "postgres": [
        casts.text_as_timestamp,
        casts.epoch_to_timestamp_postgres,
        arithmetic.dateadd_postgres,
        arithmetic.date_plus_interval_as_date,
        arithmetic.datediff_postgres,
        truncation.date_trunc_postgres,
        parts.parts_postgres,
        zones.convert_timezone_postgres,
        formats.to_char_postgres,
        formats.parse_postgres,
    ],
    "snowflake": [
        casts.text_as_timestamp,
        parts.iso_parts_emulator,
        arithmetic.date_plus_interval_as_date,
        arithmetic.dateadd_emulator,
        arithmetic.datediff_emulator,
        truncation.date_trunc_emulator,
        formats.parse_emulator,
        zones.convert_timezone_emulator,
        formats.to_char_emulator,
    ],
}

# The pass registered for each (source, engine).
PASSES: dict[tuple[str, str], Rewrite] = {}
for _engine, _constructs in BY_ENGINE.items():
    for _source in ("redshift", "snowflake"):
        PASSES[_source, _engine] = combine(*(construct(_source) for construct in _constructs))
        rewrite("dates", sources=[_source], engines=[_engine])(PASSES[_source, _engine])

# Passes of their own after those (CURRENT_TIMESTAMP(p) builds the DATE_TRUNC node the lists
# rewrite; Snowflake's DATE_FROM_PARTS is read as itself by the rewrites above it).
rewrite("dates", sources=["snowflake"], engines=["postgres", "snowflake"])(
    truncation.current_timestamp_precision
)
rewrite("dates", sources=["snowflake"], engines=["sqlite"])(arithmetic.date_from_parts_sqlite)
rewrite("dates", sources=["snowflake"], engines=["postgres"])(arithmetic.date_from_parts_postgres)
rewrite("dates", sources=["snowflake"], engines=["snowflake"])(arithmetic.date_from_parts_emulator)
