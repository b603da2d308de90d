"""The project's Snowflake emulator (fakesnow's server with limits), through the real
connector: a statement stops at STATEMENT_TIMEOUT_IN_SECONDS with Snowflake's code, the
session answers the next statement, and DuckDB runs under the memory limit given."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator

import pytest
import snowflake.connector
import snowflake.connector.errors as sferrors

from dwsim_shared.testing.servers import free_port, server_process

pytestmark = pytest.mark.integration
RUNAWAY = (
    "SELECT COUNT(*) FROM range(100000) a, range(100000) b, range(100000) c "
    "WHERE a.range + b.range + c.range = -1"
)


@pytest.fixture(scope="module")
def emulator() -> Iterator[int]:
    port = free_port()
    argv = [sys.executable, "-m", "dwsim_shared.emulator_server", "--host", "127.0.0.1",
            "-p", str(port), "--memory-limit", "300MB"]  # fmt: skip
    with server_process(argv, port, "snowflake emulator"):
        yield port


def _connect(port: int, **parameters: object) -> snowflake.connector.SnowflakeConnection:
    return snowflake.connector.connect(
        account="fakesnow", user="fake", password="snow", host="127.0.0.1", port=port,
        protocol="http", database="DWSIM", schema="LIMITS", session_parameters=parameters,
    )  # fmt: skip


def test_statement_timeout_stops_the_statement_and_the_session_goes_on(emulator: int) -> None:
    with _connect(emulator, STATEMENT_TIMEOUT_IN_SECONDS=1) as conn, conn.cursor() as cur:
        started = time.monotonic()
        with pytest.raises(sferrors.ProgrammingError) as caught:
            cur.execute(RUNAWAY)
        assert caught.value.errno == 630
        assert time.monotonic() - started < 1 + 5
        cur.execute("SELECT 41 + 1")
        assert cur.fetchone() == (42,)


def test_client_cancel_interrupts_the_statement(emulator: int) -> None:
    with _connect(emulator) as conn, conn.cursor() as cur:
        started = time.monotonic()
        with pytest.raises(sferrors.ProgrammingError) as caught:
            cur.execute(RUNAWAY, timeout=1)  # the connector sends an abort request after 1 s
        assert caught.value.errno == 604
        assert time.monotonic() - started < 1 + 5
        cur.execute("SELECT 1")
        assert cur.fetchone() == (1,)


def test_duckdb_runs_under_the_memory_limit(emulator: int) -> None:
    with _connect(emulator) as conn, conn.cursor() as cur:
        cur.execute("SELECT current_setting('memory_limit')")
        (limit,) = cur.fetchone()  # type: ignore[misc]
        assert limit.endswith("MiB") and 250 < float(limit.split()[0]) <= 300
