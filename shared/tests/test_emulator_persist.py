"""The emulator's persistent mode (`--db-path`): a restart keeps what was loaded, and the
database files stay out of every session's reach. Real emulator processes, the real connector,
the loader's own PUT + COPY INTO."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import snowflake.connector
import snowflake.connector.errors as sferrors

from dwsim_shared.emulator_guard import reader_login, reader_password, writer_login, writer_password
from dwsim_shared.generation import generate_shard, write_shard_parquet
from dwsim_shared.settings import Settings
from dwsim_shared.testing.fixtures import snowflake_settings
from dwsim_shared.testing.servers import _wait_port, fakesnow_server, free_port
from dwsim_shared.warehouses import make_warehouse
from dwsim_shared.warehouses.base import ShardRef
from dwsim_shared.warehouses.namespaces import live_namespace
from shared.tests.test_warehouses import EXPERIMENT

pytestmark = pytest.mark.integration

LIVE, WORKSPACE = "dwsim_keep", "dwsim_keep_ws"


@contextlib.contextmanager
def _session(
    server: dict[str, str], user: str | None = None, password: str | None = None, **extra: Any
) -> Iterator[Any]:
    conn = snowflake.connector.connect(
        account="fakesnow", host="127.0.0.1", port=int(server["DWSIM_SNOWFLAKE_PORT"]),
        protocol="http", user=user or server["DWSIM_SNOWFLAKE_USER"],
        password=password or server["DWSIM_SNOWFLAKE_PASSWORD"],
        database=extra.pop("database", "DWSIM"), login_timeout=5, network_timeout=20, **extra,
    )  # fmt: skip
    try:
        with conn.cursor() as cur:
            yield cur
    finally:
        conn.close()


def _writer(server: dict[str, str], live: str = LIVE) -> Any:
    secret = server["DWSIM_SNOWFLAKE_PASSWORD"]
    return _session(
        server, writer_login(live, WORKSPACE), writer_password(secret, live, WORKSPACE),
        schema=f'"{WORKSPACE}"',
    )  # fmt: skip


def _loaded(server: dict[str, str], home: Path) -> list[dict[str, Any]]:
    """The loader's own path (SnowflakeWarehouse.prepare and load_shard: PUT, COPY INTO)."""
    settings = Settings.model_validate({"home": home, **snowflake_settings(server)})
    warehouse = make_warehouse("snowflake", settings)
    table = EXPERIMENT.table("Items")
    assert table is not None
    data = generate_shard(EXPERIMENT, table.name, seed=5, row_start=0, row_count=50)
    path = home / "shard.parquet"
    write_shard_parquet(data, path)
    warehouse.prepare(EXPERIMENT)
    assert warehouse.load_shard(EXPERIMENT, table, path, ShardRef(1, table.name, 0)) == 50
    expected = sorted(data.to_pylist(), key=lambda r: r["id"])
    return [{k.lower(): v for k, v in r.items()} for r in expected]


def _read(server: dict[str, str], home: Path) -> tuple[list[dict[str, Any]], list[Any]]:
    """The generated table through the query path (a reader session), and the workspace."""
    settings = Settings.model_validate({"home": home, **snowflake_settings(server)})
    warehouse = make_warehouse("snowflake", settings)
    physical = warehouse.physical_table(EXPERIMENT.name, "Items").sql(dialect="snowflake")
    got = warehouse.run_query(
        EXPERIMENT.name, f'SELECT * FROM {physical} ORDER BY "id"', row_cap=1_000, timeout_s=10
    )
    rows = [dict(zip(got.columns, r, strict=True)) for r in got.rows]
    with _writer(server, live_namespace(EXPERIMENT.name)) as cur:
        cur.execute(f'SELECT X FROM "{WORKSPACE}"."mine" ORDER BY 1')
        workspace = cur.fetchall()
    return rows, workspace


def test_a_restart_on_the_same_folder_keeps_the_loaded_tables_and_the_workspace(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    port = free_port()
    with fakesnow_server(db_path=data, port=port) as server:
        expected = _loaded(server, tmp_path)
        live = live_namespace(EXPERIMENT.name)
        with _writer(server, live) as cur:
            cur.execute(
                f'CREATE TABLE "{WORKSPACE}"."mine" AS SELECT "id" * 10 AS X FROM "{live}"."items"'
            )
        before = _read(server, tmp_path)
    assert before[0] == expected
    assert len(before[1]) == 50
    assert (data / "DWSIM.db").is_file()
    with fakesnow_server(db_path=data, port=port) as server:  # the same folder, a new process
        assert _read(server, tmp_path) == before
    # A crash (SIGKILL, no shutdown at all) loses nothing that was committed.
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    argv = [sys.executable, "-m", "dwsim_shared.emulator_server", "--host", "127.0.0.1",
            "-p", str(port), "--db-path", str(data)]  # fmt: skip
    env = {**os.environ, "TMPDIR": str(scratch)}
    env |= {k: server[k] for k in ("DWSIM_SNOWFLAKE_USER", "DWSIM_SNOWFLAKE_PASSWORD")}
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_port(port, 30, "the emulator")
        with _session(server) as cur:
            cur.execute(f'COMMENT ON TABLE "{live}"."items" IS \'kept\'')
            cur.execute(f'INSERT INTO "{live}"."items" SELECT * FROM "{live}"."items" LIMIT 1')
    finally:
        process.kill()
        process.wait(10)
    with fakesnow_server(db_path=data, port=port) as server, _session(server) as cur:
        cur.execute(f'SELECT COUNT(*) FROM "{live}"."items"')
        assert cur.fetchone() == (51,)
        # fakesnow's own catalog (table comments, declared lengths) is kept too
        cur.execute(
            "SELECT comment FROM information_schema.tables WHERE table_schema = %s "
            "AND table_name = 'items'",
            (live,),
        )
        assert cur.fetchall() == [("kept",)]


def _databases(folder: Path) -> list[str]:
    """The folder's files, less DuckDB's write-ahead logs (they come and go by themselves)."""
    return sorted(p.name for p in folder.iterdir() if not p.name.endswith(".wal"))


@pytest.fixture(scope="module")
def persistent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, str], Path]]:
    data = tmp_path_factory.mktemp("emulator") / "data"
    data.mkdir()
    for planted in ("notes.txt", "DWSIM.db.txt"):  # files beside the databases stay unreadable
        (data / planted).write_text("not for sessions")
    with fakesnow_server(db_path=data) as server:
        with _session(server) as cur:
            cur.execute(f'CREATE SCHEMA IF NOT EXISTS "{LIVE}"')
            cur.execute(f'CREATE OR REPLACE TABLE "{LIVE}"."t" AS SELECT * FROM range(3)')
        yield server, data


@pytest.mark.parametrize(
    ("sql", "why"),
    [
        # fakesnow does not parse ATTACH; DuckDB would refuse it (file access is off).
        ("ATTACH '{data}/ESCAPE.db' AS esc", "Unexpected token"),
        ("ATTACH '{data}/DWSIM.db' AS again (READ_ONLY)", "Unexpected token"),
        ("CREATE DATABASE esc", "disabled by configuration"),
        ("CREATE DATABASE IF NOT EXISTS esc2", "disabled by configuration"),
        ("SELECT * FROM read_text('{data}/notes.txt')", "disabled by configuration"),
        ("SELECT * FROM read_text('{data}/DWSIM.db.txt')", "disabled by configuration"),
        ("SELECT * FROM read_text('/etc/hostname')", "disabled by configuration"),
        ("COPY INTO 'file://{data}/x.parquet' FROM (SELECT 1)", ""),
        ("COPY INTO 'file://{data}/DWSIM.db' FROM (SELECT 1)", ""),
    ],
)
def test_no_session_attaches_or_reads_files_of_a_persistent_emulator(
    persistent: tuple[dict[str, str], Path], sql: str, why: str
) -> None:
    """Even the project's own (trusted) session: DuckDB refuses every ATTACH and file read once
    the server's own databases are attached, and nothing is written into the folder."""
    server, data = persistent
    files = _databases(data)
    with _session(server, schema=f'"{LIVE}"') as cur:
        with pytest.raises(sferrors.Error, match=why):
            cur.execute(sql.format(data=data))
        cur.execute(f'SELECT COUNT(*) FROM "{LIVE}"."t"')
        assert cur.fetchone() == (3,)
    assert _databases(data) == files == ["DWSIM.db", "DWSIM.db.txt", "_fs_global.db", "notes.txt"]


@pytest.mark.parametrize(
    "sql",
    [
        "ATTACH '{data}/DWSIM.db' AS again",
        # DuckDB lets every session read the files of the databases it has attached (it adds
        # them to allowed_paths when file access goes off): the guard refuses it for readers
        # and writers, and the project's own session holds every row already.
        "SELECT * FROM read_blob('{data}/DWSIM.db')",
        "SELECT * FROM read_text('{data}/_fs_global.db')",
        "CREATE DATABASE esc",
    ],
)
def test_a_reader_or_writer_cannot_attach_or_read_the_database_files(
    persistent: tuple[dict[str, str], Path], sql: str
) -> None:
    server, data = persistent
    secret = server["DWSIM_SNOWFLAKE_PASSWORD"]
    with _session(server, reader_login(LIVE), reader_password(secret, LIVE)) as cur:
        with pytest.raises(sferrors.ProgrammingError) as caught:
            cur.execute(sql.format(data=data))
        assert caught.value.errno == 3001
    with _writer(server) as cur, pytest.raises(sferrors.ProgrammingError) as caught:
        cur.execute(sql.format(data=data))
    assert caught.value.errno == 3001


def test_a_login_to_a_database_that_cannot_be_made_is_refused_by_name(
    persistent: tuple[dict[str, str], Path],
) -> None:
    """A new database cannot be attached once file access is off: the login fails at once with
    Snowflake's unknown-database error (not an HTTP 500 the connector retries), nothing in
    memory stands in for it."""
    server, data = persistent
    with pytest.raises(sferrors.DatabaseError) as caught, _session(server, database="OTHER"):
        pass
    assert caught.value.errno == 390201
    assert "OTHER" in str(caught.value)
    assert not (data / "OTHER.db").exists()
