"""Values of an answer as JSON and CSV carry them: dates as ISO text, decimals exact (as text,
never through a float), bytes as hex, UUIDs as text; in CSV, JSON values and booleans as JSON."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid
from typing import Any


def jsonable(value: Any) -> Any:
    """`value` as a JSON answer carries it."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):  # exact: as text, never through a float
        return format(value, "f")
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def csv_value(value: Any) -> Any:
    """`value` as a CSV cell carries it (a BOOLEAN is written true / false)."""
    if isinstance(value, dict | list | bool):
        return json.dumps(value)
    return jsonable(value)
