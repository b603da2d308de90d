"""Engines, sessions and migrations of the state database."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from dwsim_shared.errors import Busy, DependencyUnavailable
from dwsim_shared.transient import POSTGRES_SERVER_FULL

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

_MIGRATION_LOCK_KEY = 0x6477_7369_6D  # "dwsim": one owner of `alembic upgrade` at a time


def make_engine(url: str, connect_timeout_s: float = 5.0) -> Engine:
    """An engine for the state DB: SQLite in WAL mode with a busy timeout, or PostgreSQL."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        # As many connections as the gateway's worker threads may use at once; a request that
        # still finds none waits `connect_timeout_s` and answers 503, rather than 30 s.
        pool_size=10,
        max_overflow=30,
        pool_timeout=max(1.0, connect_timeout_s),
        connect_args={"connect_timeout": max(1, int(connect_timeout_s))},
    )


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def state_unavailable(error: DBAPIError) -> DependencyUnavailable:
    """A state DB error that means it cannot be used now: `Busy` when the server has no
    connection slot left, else `DependencyUnavailable`."""
    text = str(error.orig).strip()
    if any(limit in text for limit in POSTGRES_SERVER_FULL):
        return Busy("state database", "every connection of the server is in use")
    return DependencyUnavailable("state database", text)


@contextlib.contextmanager
def state_errors() -> Iterator[None]:
    """Translate a state DB that cannot be reached into `DependencyUnavailable`."""
    try:
        yield
    except OperationalError as error:
        raise state_unavailable(error) from error
    except DBAPIError as error:
        if error.connection_invalidated:
            raise state_unavailable(error) from error
        raise


def check_state(engine: Engine) -> None:
    """Raise `DependencyUnavailable` unless the state DB answers a query."""
    with state_errors(), engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the state DB to the newest schema; safe to call from several processes at once."""
    with state_errors(), _migration_lock(engine) as conn:
        cfg = alembic_config(engine.url.render_as_string(hide_password=False))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


@contextlib.contextmanager
def _migration_lock(engine: Engine) -> Iterator[object]:
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _MIGRATION_LOCK_KEY})
            conn.commit()
            try:
                yield conn
                conn.commit()
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _MIGRATION_LOCK_KEY})
                conn.commit()
        return
    database = engine.url.database
    lock_path = Path(f"{database}.migrate.lock") if database and database != ":memory:" else None
    if lock_path is None:
        with engine.connect() as conn:
            yield conn
            conn.commit()
        return
    with open(lock_path, "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            with engine.connect() as conn:
                yield conn
                conn.commit()
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
