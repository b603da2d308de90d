"""The Snowflake emulator is a guarded service (issue 14, D1), through the real connector:
only the project's credentials and per-experiment readers log in, a reader reads only its own
schema, and no session reaches the server's files or network."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import snowflake.connector
import snowflake.connector.errors as sferrors

from dwsim_shared.emulator_guard import (
    reader_login,
    reader_password,
    writer_login,
    writer_password,
)

pytestmark = pytest.mark.integration


@contextlib.contextmanager
def _session(server: dict[str, str], user: str, password: str, **extra: Any) -> Iterator[Any]:
    conn = snowflake.connector.connect(
        account="fakesnow", host="127.0.0.1", port=int(server["DWSIM_SNOWFLAKE_PORT"]),
        protocol="http", user=user, password=password, database="DWSIM_GUARD",
        login_timeout=5, network_timeout=10, **extra,
    )  # fmt: skip
    try:
        with conn.cursor() as cur:
            yield cur
    finally:
        conn.close()


def _project(server: dict[str, str]) -> Any:
    user, password = server["DWSIM_SNOWFLAKE_USER"], server["DWSIM_SNOWFLAKE_PASSWORD"]
    return _session(server, user, password, schema="dwsim_guard_a")


def _reader(server: dict[str, str], schema: str) -> Any:
    secret = server["DWSIM_SNOWFLAKE_PASSWORD"]
    return _session(server, reader_login(schema), reader_password(secret, schema))


@pytest.fixture(scope="module")
def two_experiments(snowflake_server: dict[str, str]) -> dict[str, str]:
    with _project(snowflake_server) as cur:
        for schema, rows in (("dwsim_guard_a", 3), ("dwsim_guard_b", 5)):
            cur.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            cur.execute(f'CREATE OR REPLACE TABLE "{schema}"."t" AS SELECT * FROM range({rows})')
    return snowflake_server


@pytest.mark.parametrize(
    ("user", "password"),
    [
        ("fake", "wrong"),
        ("someone", "snow"),
        ("FAKE", "SNOW"),
        (reader_login("dwsim_guard_a"), "snow"),
    ],
)
def test_a_login_without_the_project_credentials_is_refused(
    two_experiments: dict[str, str], user: str, password: str
) -> None:
    with pytest.raises(sferrors.DatabaseError) as caught, _session(two_experiments, user, password):
        pass
    assert caught.value.errno == 390100
    assert "Incorrect username or password" in str(caught.value)


def test_a_raw_login_without_credentials_gets_no_session(two_experiments: dict[str, str]) -> None:
    import httpx

    url = f"http://127.0.0.1:{two_experiments['DWSIM_SNOWFLAKE_PORT']}/session/v1/login-request"
    answer = httpx.post(url, json={"data": {"SESSION_PARAMETERS": {}}}, timeout=5).json()
    assert answer["success"] is False and answer["code"] == "390100"
    assert "token" not in str(answer)


def test_a_reader_password_of_another_schema_opens_nothing(two_experiments: dict[str, str]) -> None:
    other = reader_password(two_experiments["DWSIM_SNOWFLAKE_PASSWORD"], "dwsim_guard_b")
    with (
        pytest.raises(sferrors.DatabaseError),
        _session(two_experiments, reader_login("dwsim_guard_a"), other),
    ):
        pass


def test_a_session_may_not_open_a_duckdb_of_its_own(two_experiments: dict[str, str]) -> None:
    """fakesnow's FAKESNOW_DB_PATH would open a DuckDB outside every setting of the server."""
    user, password = (
        two_experiments["DWSIM_SNOWFLAKE_USER"],
        two_experiments["DWSIM_SNOWFLAKE_PASSWORD"],
    )
    parameters = {"FAKESNOW_DB_PATH": ":isolated:"}
    with (
        pytest.raises(sferrors.DatabaseError),
        _session(two_experiments, user, password, session_parameters=parameters),
    ):
        pass


def test_a_reader_cannot_log_in_to_another_schema(two_experiments: dict[str, str]) -> None:
    """fakesnow creates the schema a login names: a reader's login may name only its own."""
    secret = two_experiments["DWSIM_SNOWFLAKE_PASSWORD"]
    login, password = reader_login("dwsim_guard_a"), reader_password(secret, "dwsim_guard_a")
    with (
        pytest.raises(sferrors.Error, match="Insufficient privileges"),
        _session(two_experiments, login, password, schema="dwsim_guard_new"),
    ):
        pass
    with _project(two_experiments) as cur:
        cur.execute(
            "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = %s",
            ("DWSIM_GUARD_NEW",),
        )
        assert cur.fetchone() == (0,)


def test_a_reader_reads_its_own_schema(two_experiments: dict[str, str]) -> None:
    with _reader(two_experiments, "dwsim_guard_a") as cur:
        cur.execute('SELECT COUNT(*) FROM "dwsim_guard_a"."t"')
        assert cur.fetchone() == (3,)
        cur.execute('WITH c AS (SELECT * FROM "dwsim_guard_a"."t") SELECT COUNT(*) FROM c')
        assert cur.fetchone() == (3,)


@pytest.mark.parametrize(
    "sql",
    [
        'SELECT COUNT(*) FROM "dwsim_guard_b"."t"',
        'SELECT COUNT(*) FROM "DWSIM_GUARD"."dwsim_guard_b"."t"',
        "SELECT COUNT(*) FROM information_schema.tables",
        "SELECT COUNT(*) FROM t",  # unqualified: DuckDB would search other schemas
        'SELECT * FROM "dwsim_guard_a"."_dwsim_loads"',
        'DELETE FROM "dwsim_guard_a"."t"',
        'DROP TABLE "dwsim_guard_a"."t"',
        'CREATE TABLE "dwsim_guard_a"."x" (i INT)',
        "SET memory_limit = '64GB'",
        "SELECT * FROM read_text('/etc/hostname')",
        'SELECT 1; SELECT COUNT(*) FROM "dwsim_guard_b"."t"',
    ],
)
def test_a_reader_cannot_leave_its_schema_or_write(
    two_experiments: dict[str, str], sql: str
) -> None:
    with _reader(two_experiments, "dwsim_guard_a") as cur:
        with pytest.raises(sferrors.ProgrammingError) as caught:
            cur.execute(sql)
        assert caught.value.errno == 3001, caught.value
        assert "Insufficient privileges" in str(caught.value)
    with _project(two_experiments) as cur:  # nothing changed
        cur.execute('SELECT COUNT(*) FROM "dwsim_guard_a"."t"')
        assert cur.fetchone() == (3,)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_text('/etc/hostname')",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_blob('/proc/self/environ')",
        "SELECT * FROM read_parquet('https://example.com/x.parquet')",
    ],
)
def test_no_session_reads_files_or_the_network(two_experiments: dict[str, str], sql: str) -> None:
    """Even the project's own (trusted) session: DuckDB's external access is off."""
    with _project(two_experiments) as cur:
        with pytest.raises(sferrors.Error) as caught:
            cur.execute(sql)
        assert "disabled by configuration" in str(caught.value), caught.value
        cur.execute("SELECT 1")  # the session goes on
        assert cur.fetchone() == (1,)


@pytest.mark.parametrize(
    "sql",
    [
        "COPY (SELECT 1) TO '{path}.csv'",
        "INSTALL httpfs",
        "ATTACH '{path}.duckdb' AS escape",
        "SET enable_external_access = true",
        "ALTER SESSION SET enable_external_access = true",
        "COPY INTO 'file://{path}.parquet' FROM (SELECT 1)",
    ],
)
def test_no_session_writes_files_or_turns_access_back_on(
    two_experiments: dict[str, str], sql: str, tmp_path: Path
) -> None:
    """fakesnow refuses or ignores these; whatever it does, nothing is written and file access
    stays off."""
    path = tmp_path / "escape"
    with _project(two_experiments) as cur:
        with contextlib.suppress(sferrors.Error):
            cur.execute(sql.format(path=path))
        assert list(tmp_path.iterdir()) == []
        with pytest.raises(sferrors.Error, match="disabled by configuration"):
            cur.execute("SELECT * FROM read_text('/etc/hostname')")


def _writer(server: dict[str, str], live: str, workspace: str) -> Any:
    secret = server["DWSIM_SNOWFLAKE_PASSWORD"]
    return _session(
        server, writer_login(live, workspace), writer_password(secret, live, workspace),
        schema=f'"{workspace}"',
    )  # fmt: skip


def test_a_writer_writes_its_workspace_and_reads_its_schema(
    two_experiments: dict[str, str],
) -> None:
    with _project(two_experiments) as cur:
        cur.execute('CREATE SCHEMA IF NOT EXISTS "dwsim__ws_guard_a"')
    with _writer(two_experiments, "dwsim_guard_a", "dwsim__ws_guard_a") as cur:
        cur.execute(
            'CREATE OR REPLACE TABLE "dwsim__ws_guard_a"."w" AS SELECT * FROM "dwsim_guard_a"."t"'
        )
        cur.execute("BEGIN")
        cur.execute(
            'CREATE OR REPLACE TEMPORARY TABLE "tmp" AS SELECT range + 10 AS range FROM "dwsim_guard_a"."t"'
        )
        cur.execute(
            'MERGE INTO "dwsim__ws_guard_a"."w" AS d USING "tmp" AS s ON d.range = s.range '
            "WHEN NOT MATCHED THEN INSERT (range) VALUES (s.range)"
        )
        cur.execute("COMMIT")
        cur.execute('SELECT COUNT(*) FROM "dwsim__ws_guard_a"."w"')
        assert cur.fetchone() == (6,)
        cur.execute('DROP TABLE "dwsim__ws_guard_a"."w"')


@pytest.mark.parametrize(
    "sql",
    [
        'INSERT INTO "dwsim_guard_a"."t" VALUES (9)',
        'DELETE FROM "dwsim_guard_a"."t"',
        'DROP TABLE "dwsim_guard_a"."t"',
        'ALTER TABLE "dwsim__ws_guard_a"."x" RENAME TO "dwsim_guard_a"."x"',
        'CREATE TABLE "dwsim_guard_b"."planted" (a INT)',
        'SELECT COUNT(*) FROM "dwsim_guard_b"."t"',
        'CREATE TABLE "dwsim__ws_guard_a"."copy" AS SELECT * FROM "dwsim_guard_b"."t"',
        'SELECT * FROM "dwsim_guard_a"."_dwsim_loads"',
        "CREATE SCHEMA elsewhere",
        "USE SCHEMA dwsim_guard_b",
        "SELECT * FROM read_csv('/etc/passwd')",
        'COPY INTO "dwsim__ws_guard_a"."x" FROM @~',
        "SET memory_limit = '64GB'",
    ],
)
def test_a_writer_cannot_write_its_schema_or_leave_its_experiment(
    two_experiments: dict[str, str], sql: str
) -> None:
    with _writer(two_experiments, "dwsim_guard_a", "dwsim__ws_guard_a") as cur:
        with pytest.raises(sferrors.ProgrammingError) as caught:
            cur.execute(sql)
        assert caught.value.errno == 3001, caught.value
    with _project(two_experiments) as cur:  # nothing changed
        cur.execute('SELECT COUNT(*) FROM "dwsim_guard_a"."t"')
        assert cur.fetchone() == (3,)
        cur.execute('SELECT COUNT(*) FROM "dwsim_guard_b"."t"')
        assert cur.fetchone() == (5,)


def test_a_writer_password_of_another_workspace_opens_nothing(
    two_experiments: dict[str, str],
) -> None:
    secret = two_experiments["DWSIM_SNOWFLAKE_PASSWORD"]
    with pytest.raises(sferrors.DatabaseError):
        _session(
            two_experiments, writer_login("dwsim_guard_b", "dwsim__ws_guard_a"),
            writer_password(secret, "dwsim_guard_a", "dwsim__ws_guard_a"),
        ).__enter__()  # fmt: skip
