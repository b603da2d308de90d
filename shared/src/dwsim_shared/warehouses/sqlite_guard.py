"""Least privilege on SQLite: an authorizer that lets a query read its experiment's tables and
call functions, and nothing else (no PRAGMA, no ATTACH, no schema table, no writes)."""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

ALLOWED_ACTIONS = frozenset(
    {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
)
# Functions that reach outside the experiment's tables, should an extension provide them.
DENIED_FUNCTIONS = frozenset({"load_extension", "readfile", "writefile", "edit", "fts3_tokenizer"})
# Table-valued functions over the query's own values.
VALUE_TABLES = frozenset({"json_each", "json_tree"})
SYSTEM_PREFIXES = ("sqlite_", "pragma_")

Authorizer = Callable[[int, str | None, str | None, str | None, str | None], int]


def readable_tables(conn: sqlite3.Connection, hidden: set[str]) -> frozenset[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return frozenset(
        name.lower() for (name,) in rows if name not in hidden and not name.startswith("sqlite_")
    )


def construct_value_tables(conn: sqlite3.Connection) -> None:
    """Build `VALUE_TABLES` on the connection before the authorizer is installed: SQLite builds
    an eponymous virtual table on its first use by writing its declaration to the in-memory
    schema, which the authorizer (rightly) refuses; once built, it stays for the connection."""
    conn.execute("SELECT 1 FROM " + ", ".join(f"{name}('[]')" for name in sorted(VALUE_TABLES)))


def read_only_authorizer(tables: frozenset[str], hidden: set[str]) -> Authorizer:
    """Allow SELECT, functions (except `DENIED_FUNCTIONS`), recursive CTEs and reads of `tables`
    in the main database; deny every other action, so the statement fails to prepare.

    SQLite names no database for a CTE (nor for a real table none of whose columns is used), so
    a read without a database is allowed unless its name is a system or hidden table: a CTE
    named like one is refused too, rather than letting the name through.
    """
    denied_names = {name.lower() for name in hidden}

    def authorize(
        action: int, arg1: str | None, arg2: str | None, database: str | None, _source: str | None
    ) -> int:
        if action == sqlite3.SQLITE_READ:
            name = (arg1 or "").lower()
            own = name in tables and database in ("main", None)
            derived = database is None and name not in denied_names
            derived = derived and not name.startswith(SYSTEM_PREFIXES)
            allowed = own or derived or name in VALUE_TABLES
            return sqlite3.SQLITE_OK if allowed else sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_FUNCTION:
            denied = (arg2 or "").lower() in DENIED_FUNCTIONS
            return sqlite3.SQLITE_DENY if denied else sqlite3.SQLITE_OK
        return sqlite3.SQLITE_OK if action in ALLOWED_ACTIONS else sqlite3.SQLITE_DENY

    return authorize


# printf's conversions: flags, width, precision (each a number or `*`, which takes an argument).
_CONVERSION = re.compile(r"%([-+ 0#,!]*)(\*|\d+)?(?:\.(\*|\d*))?(l{0,2})([a-zA-Z%])")
_helper = threading.local()


def _sqlite_printf(limit: int, fmt: Any, args: tuple[Any, ...]) -> Any:
    conn = getattr(_helper, "conn", None)
    if conn is None:
        conn = _helper.conn = sqlite3.connect(":memory:")
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, limit)
    marks = ", ".join("?" for _ in range(len(args) + 1))
    return conn.execute(f"SELECT printf({marks})", (fmt, *args)).fetchone()[0]


def bounded_printf(limit: int) -> Callable[..., Any]:
    """SQLite's printf, refusing a result longer than `limit`. SQLite's own answers NULL when
    its result would pass SQLITE_LIMIT_LENGTH (a silent wrong answer), after padding toward a
    width of up to 2^31 characters one by one (seconds of CPU that no progress handler stops)."""

    def printf(fmt: Any = None, *args: Any) -> Any:
        if isinstance(fmt, str):
            taken = 0
            for match in _CONVERSION.finditer(fmt):
                for part in (match.group(2), match.group(3)):
                    if part == "*":
                        size = args[taken] if taken < len(args) else 0
                        taken += 1
                    else:
                        size = part
                    if _too_long(size, limit):
                        raise ValueError(too_long_message(limit))
                if match.group(5) != "%":
                    taken += 1
        result = _sqlite_printf(limit, fmt, args)
        if result is None and fmt is not None:
            raise ValueError(too_long_message(limit))
        return result

    return printf


def _too_long(size: Any, limit: int) -> bool:
    try:
        return abs(int(size or 0)) > limit
    except (TypeError, ValueError):
        return False


def too_long_message(limit: int) -> str:
    return f"a value longer than the limit of {limit:,} bytes (DWSIM_QUERY_VALUE_MAX_BYTES)"
