"""The project's Snowflake emulator (fakesnow's server with limits), through the real
connector: a statement stops at STATEMENT_TIMEOUT_IN_SECONDS with Snowflake's code, the
session answers the next statement, and DuckDB runs under the memory limit given."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
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
            "-p", str(port), "--memory-limit", "300MB", "--memory-ceiling-mb", "600"]  # fmt: skip
    env = {**os.environ, "DWSIM_SNOWFLAKE_USER": "fake", "DWSIM_SNOWFLAKE_PASSWORD": "snow"}
    with server_process(argv, port, "snowflake emulator", env=env):
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


def test_a_transaction_conflict_fails_the_statement_instead_of_stalling_it(emulator: int) -> None:
    """A load into a schema another session dropped (a cancelled run's staging) used to be
    answered with HTTP 500, which the connector retried forever: the loader stalled."""
    with _connect(emulator) as loader, _connect(emulator) as canceller:
        load, cancel = loader.cursor(), canceller.cursor()
        load.execute('CREATE SCHEMA "conflict"')
        load.execute('CREATE TABLE "conflict"."t" (x INT)')
        load.execute("BEGIN")
        load.execute('INSERT INTO "conflict"."t" VALUES (1)')
        cancel.execute('DROP SCHEMA "conflict" CASCADE')
        started = time.monotonic()
        with pytest.raises(sferrors.ProgrammingError) as caught:
            load.execute('INSERT INTO "conflict"."t" VALUES (2)')
        assert time.monotonic() - started < 5
        assert caught.value.sqlstate == "40001"  # the adapter retries this one
        assert "dropped by a different transaction" in caught.value.raw_msg
        assert "Error:" not in caught.value.raw_msg  # no engine prefix in what a user reads
        load.execute("ROLLBACK")
        load.execute("SELECT 1")
        assert load.fetchone() == (1,)


def test_a_closed_session_closes_its_duckdb_connection() -> None:
    """fakesnow only forgot a closed session: its DuckDB connection lingered until a garbage
    collection closed it on the server's event loop, which stalled every request."""
    import fakesnow.server as fs_server
    from starlette.testclient import TestClient

    from dwsim_shared.emulator_server import make_app

    with TestClient(make_app(user="fake", password="snow")) as client:
        login = client.post(
            "/session/v1/login-request?databaseName=DWSIM",
            json={"data": {"LOGIN_NAME": "fake", "PASSWORD": "snow", "SESSION_PARAMETERS": {}}},
        )
        token = login.json()["data"]["token"]
        conn = fs_server.sessions[token]
        assert not conn._is_closed
        answer = client.post(
            "/session?delete=true", headers={"Authorization": f'Snowflake Token="{token}"'}
        )
        assert answer.json()["success"] is True
        assert token not in fs_server.sessions
        assert conn._is_closed  # closed by the answer's background task


def test_a_statement_past_the_memory_ceiling_is_stopped_and_the_server_goes_on(
    emulator: int,
) -> None:
    """A string aggregate of 2 GB grows vector by vector outside DuckDB's memory_limit: the
    watch interrupts it at the process's ceiling (600 MB here), with an error naming it."""
    with _connect(emulator) as conn, conn.cursor() as cur:
        started = time.monotonic()
        with pytest.raises(sferrors.ProgrammingError) as caught:
            cur.execute("SELECT length(listagg(repeat('x', 100000), '')) FROM range(20000)")
        assert "DWSIM_EMULATOR_MEMORY_CEILING_MB" in caught.value.raw_msg, caught.value
        assert time.monotonic() - started < 10
        cur.execute("SELECT 1")
        assert cur.fetchone() == (1,)


def _running(port: int) -> int:
    answer = httpx.get(f"http://127.0.0.1:{port}/dwsim/health", timeout=5).json()
    return int(answer["running_statements"])


def test_a_statement_whose_client_dies_is_interrupted(emulator: int) -> None:
    """The query service killed mid-statement sends no abort: the emulator sees the connection
    close and interrupts the statement (PostgreSQL cancels a backend the same way)."""
    client = (
        "import snowflake.connector as sf\n"
        f"c = sf.connect(account='fakesnow', user='fake', password='snow', host='127.0.0.1', "
        f"port={emulator}, protocol='http', database='DWSIM', schema='LIMITS')\n"
        f"c.cursor().execute({RUNAWAY!r})\n"
    )
    assert _running(emulator) == 0
    process = subprocess.Popen([sys.executable, "-c", client])
    try:
        deadline = time.monotonic() + 30
        while _running(emulator) == 0:  # the statement is running
            assert process.poll() is None, "the client failed before its statement ran"
            assert time.monotonic() < deadline, "the statement never started"
            time.sleep(0.05)
    finally:
        process.kill()
        process.wait()
    deadline = time.monotonic() + 10  # DISCONNECT_POLL_S, on a loaded machine
    while _running(emulator) > 0:
        assert time.monotonic() < deadline, "the statement kept running after its client died"
        time.sleep(0.05)
    with _connect(emulator) as conn, conn.cursor() as cur:  # and the server answers
        cur.execute("SELECT 1")
        assert cur.fetchone() == (1,)


def _engine_read(
    port: int, body: dict[str, object], user: str = "fake", password: str = "snow"
) -> httpx.Response:
    return httpx.post(f"http://127.0.0.1:{port}/dwsim/engine-read",
                      json={"database": "DWSIM", "timeout_s": 30, **body},
                      auth=(user, password), timeout=30)  # fmt: skip


def test_engine_read_answers_one_select_in_duckdb_sql_as_arrow(emulator: int) -> None:
    """The report's route: DuckDB's own SQL with the project's credentials, no translation,
    the values typed as the engine holds them (decimal, date, 128-bit sums as integers)."""
    import datetime
    import decimal

    import pyarrow.ipc

    with _connect(emulator) as conn, conn.cursor() as cur:
        cur.execute('CREATE SCHEMA IF NOT EXISTS "engine_read"')
        cur.execute('CREATE OR REPLACE TABLE "engine_read"."t" (k INT, p NUMBER(12, 2), d DATE)')
        cur.execute(
            'INSERT INTO "engine_read"."t" VALUES (1, 10.25, \'2024-02-29\'), (2, NULL, NULL)'
        )
    sql = ('SELECT COUNT(*) AS n, SUM(CAST(k AS INT)) AS s, MAX(p) AS p, MIN(d) AS d '
           'FROM "engine_read"."t"')  # fmt: skip
    answer = _engine_read(emulator, {"sql": sql})
    assert answer.status_code == 200, answer.text
    table = pyarrow.ipc.open_stream(answer.content).read_all()
    assert table.to_pylist() == [
        {"n": 2, "s": 3, "p": decimal.Decimal("10.25"), "d": datetime.date(2024, 2, 29)}
    ]


def test_engine_read_refuses_writes_other_logins_and_stops_at_its_timeout(emulator: int) -> None:
    """Only one SELECT (DuckDB's parser decides), only the project's own credentials (a
    reader's are refused), and its timeout interrupts it: the server answers afterwards."""
    from dwsim_shared.emulator_guard import reader_login, reader_password

    with _connect(emulator) as conn, conn.cursor() as cur:
        cur.execute('CREATE SCHEMA IF NOT EXISTS "engine_write"')
        cur.execute('CREATE OR REPLACE TABLE "engine_write"."t" (k INT)')
        for sql in ['INSERT INTO "engine_write"."t" VALUES (1)',
                    'SELECT 1; DROP TABLE "engine_write"."t"', "SELEC 1"]:  # fmt: skip
            answer = _engine_read(emulator, {"sql": sql})
            assert answer.status_code == 400, (sql, answer.text)
            assert answer.json()["message"]
        cur.execute('SELECT COUNT(*) FROM "engine_write"."t"')
        assert cur.fetchone() == (0,)  # nothing was written, the table is still there
    schema = "engine_write"
    reader = (reader_login(schema), reader_password("snow", schema))
    for user, password in [reader, ("fake", "wrong")]:
        refused = _engine_read(emulator, {"sql": "SELECT 1"}, user, password)
        assert refused.status_code == 401, refused.text
    started = time.monotonic()
    stopped = _engine_read(emulator, {"sql": RUNAWAY, "timeout_s": 1})
    assert stopped.status_code == 408 and stopped.json()["errno"] == 630, stopped.text
    assert time.monotonic() - started < 1 + 5
    assert _running(emulator) == 0
    assert _engine_read(emulator, {"sql": "SELECT 42 AS x"}).status_code == 200
