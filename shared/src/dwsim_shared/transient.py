"""Which errors mean "a dependency dropped, timed out or refused us", in one table, and the
bounded retry workers apply to them.

Every engine, the broker, the object store and the state DB raise their own types when a
connection goes away. They are classified here once: `as_unavailable()` turns a matching
error into `DependencyUnavailable` naming the component; anything else is a real failure and
is left alone, so it fails fast. Driver modules are imported lazily: a process that never
talks to Snowflake does not pay for its connector.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import random
import socket
import sqlite3
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

from dwsim_shared.errors import DependencyUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")

# (module, class name) of errors that always mean the dependency is unreachable or went away.
TRANSIENT_TYPES: tuple[tuple[str, str], ...] = (
    # PostgreSQL (state DB and Redshift mock): refused, timed out, "server closed the
    # connection unexpectedly", pg_terminate_backend (AdminShutdown is an OperationalError).
    ("psycopg2", "OperationalError"),
    ("psycopg2", "InterfaceError"),  # "connection already closed"
    # SQLAlchemy wraps the driver's errors for the state DB.
    ("sqlalchemy.exc", "OperationalError"),
    ("sqlalchemy.exc", "DisconnectionError"),
    # Broker.
    ("kombu.exceptions", "OperationalError"),
    ("redis.exceptions", "ConnectionError"),
    ("redis.exceptions", "TimeoutError"),
    ("redis.exceptions", "BusyLoadingError"),
    # Object store.
    ("botocore.exceptions", "EndpointConnectionError"),
    ("botocore.exceptions", "ConnectionClosedError"),
    ("botocore.exceptions", "ConnectTimeoutError"),
    ("botocore.exceptions", "ReadTimeoutError"),
    ("urllib3.exceptions", "ProtocolError"),
    # Snowflake connector: network and login failures.
    ("snowflake.connector.errors", "OperationalError"),
    ("snowflake.connector.errors", "InterfaceError"),
    ("snowflake.connector.errors", "ServiceUnavailableError"),
    ("snowflake.connector.errors", "GatewayTimeoutError"),
    ("snowflake.connector.errors", "BadGatewayError"),
    ("snowflake.connector.errors", "RequestTimeoutError"),
)
# Anywhere: the socket itself.
TRANSIENT_BUILTINS: tuple[type[BaseException], ...] = (
    ConnectionError,  # refused, reset, aborted, broken pipe
    TimeoutError,
    socket.timeout,
    socket.gaierror,
)
# SQLite has one error type for everything; these messages are the transient ones.
SQLITE_TRANSIENT = ("database is locked", "unable to open database file", "disk i/o error")
# psycopg2 raises a bare DatabaseError when the server goes away in the middle of a COPY; these
# messages (of any of its types) mean the connection, not the statement, failed.
POSTGRES_TRANSIENT = (
    "server closed the connection unexpectedly", "terminating connection",
    "connection already closed", "could not receive data from server",
    "could not send data to server", "ssl syscall error", "the database system is shutting down",
    "the database system is starting up",
)  # fmt: skip
# PostgreSQL refusing a connection because every slot of the server is taken: busy for now
# (503 with Retry-After), not down; the state DB and the Redshift mock tell it apart alike.
POSTGRES_SERVER_FULL = ("too many clients already", "remaining connection slots are reserved")
# S3 answers that mean "try again".
S3_TRANSIENT_CODES = frozenset({"500", "502", "503", "504", "SlowDown", "ServiceUnavailable",
                                "InternalError", "RequestTimeout"})  # fmt: skip


def _loaded_types() -> tuple[type[BaseException], ...]:
    found: list[type[BaseException]] = []
    for module_name, class_name in TRANSIENT_TYPES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        cls = getattr(module, class_name, None)
        if isinstance(cls, type) and issubclass(cls, BaseException):
            found.append(cls)
    return tuple(found)


_types: tuple[type[BaseException], ...] | None = None


def is_transient(error: BaseException) -> bool:
    """True when `error` (or what it wraps) says the other side is unreachable, not wrong."""
    global _types
    if isinstance(error, DependencyUnavailable):
        return True
    if _types is None:
        _types = _loaded_types()
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, _types + TRANSIENT_BUILTINS):
            return True
        if isinstance(current, sqlite3.OperationalError) and any(
            m in str(current).lower() for m in SQLITE_TRANSIENT
        ):
            return True
        if _is_postgres_error(current) and any(
            m in str(current).lower() for m in POSTGRES_TRANSIENT
        ):
            return True
        code = getattr(current, "response", {}) or {}
        if isinstance(code, dict) and str(code.get("Error", {}).get("Code", "")) in (
            S3_TRANSIENT_CODES
        ):
            return True
        current = current.__cause__ or current.__context__
    return False


def _is_postgres_error(error: BaseException) -> bool:
    return type(error).__module__.split(".")[0] == "psycopg2"


def _describe(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else "connection failed"


def as_unavailable(component: str, error: BaseException) -> DependencyUnavailable | None:
    """The error as `DependencyUnavailable(component)` if it is transient, else None."""
    if isinstance(error, DependencyUnavailable):
        return error
    if is_transient(error):
        return DependencyUnavailable(component, _describe(error))
    return None


@contextlib.contextmanager
def unavailable_as(component: str) -> Iterator[None]:
    """Inside the block, a transient error comes out as `DependencyUnavailable(component)`."""
    try:
        yield
    except DependencyUnavailable:
        raise
    except Exception as error:
        translated = as_unavailable(component, error)
        if translated is None:
            raise
        raise translated from error


def with_retries(
    step: Callable[[], T],
    *,
    retries: int,
    backoff_s: float,
    what: str,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run `step`; on `DependencyUnavailable` wait (exponential, jittered) and run it again,
    at most `retries` more times, then let the last error out. Other errors fail at once."""
    attempt = 0
    while True:
        try:
            return step()
        except DependencyUnavailable as error:
            if attempt >= retries:
                raise
            delay = backoff_s * (2**attempt) * (0.5 + random.random() / 2)
            attempt += 1
            log.warning(
                "%s: %s; retry %d of %d in %.1fs", what, error.message, attempt, retries, delay
            )
            sleep(delay)
