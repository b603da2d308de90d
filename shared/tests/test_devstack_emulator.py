"""`make up`'s embedded Snowflake emulator keeps the user's data and its login across restarts:
the stack's own command line (`Stack._specs`), run as a real process twice on one DWSIM_HOME."""

from __future__ import annotations

import stat
from pathlib import Path

import snowflake.connector

from dwsim_shared.devstack import Process, Stack, emulator_db_path


def _emulator(home: Path) -> Stack:
    stack = Stack(env={"DWSIM_HOME": str(home)}, snowflake_emulator=True)
    argv = dict(stack._specs())["snowflake-emulator"]
    assert "--local-stage" in argv  # every client of `make up` runs on this host
    assert argv[argv.index("--db-path") + 1] == str(emulator_db_path(home))
    home.joinpath("logs").mkdir(exist_ok=True)
    process = Process("snowflake-emulator", argv, home / "logs" / "snowflake-emulator.log")
    stack.processes.append(stack._spawn(process))
    return stack


def _connect(stack: Stack) -> snowflake.connector.SnowflakeConnection:
    import time

    deadline = time.monotonic() + 30
    while True:
        try:
            return snowflake.connector.connect(
                account="dwsim", host="127.0.0.1", port=int(stack.env["DWSIM_SNOWFLAKE_PORT"]),
                protocol="http", user=stack.env["DWSIM_SNOWFLAKE_USER"],
                password=stack.env["DWSIM_SNOWFLAKE_PASSWORD"], database="DWSIM",
                login_timeout=2, network_timeout=10,
            )  # fmt: skip
        except snowflake.connector.errors.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def test_the_embedded_emulator_keeps_its_data_and_login_across_restarts(tmp_path: Path) -> None:
    first = _emulator(tmp_path)
    try:
        password = first.env["DWSIM_SNOWFLAKE_PASSWORD"]
        kept = tmp_path / "snowflake-emulator" / "password"
        assert kept.read_text().strip() == password
        assert stat.S_IMODE(kept.stat().st_mode) == 0o600
        with _connect(first) as conn, conn.cursor() as cur:
            cur.execute('CREATE SCHEMA "dwsim_up"')
            cur.execute('CREATE TABLE "dwsim_up"."t" AS SELECT * FROM range(7)')
    finally:
        first.stop()  # SIGTERM, as `make up`'s Ctrl-C
    second = _emulator(tmp_path)
    try:
        assert second.env["DWSIM_SNOWFLAKE_PASSWORD"] == password
        assert (
            second.env["DWSIM_SNOWFLAKE_PORT"] != ""
            and password not in (tmp_path / "logs" / "snowflake-emulator.log").read_text()
        )
        with _connect(second) as conn, conn.cursor() as cur:
            cur.execute('SELECT COUNT(*) FROM "dwsim_up"."t"')
            assert cur.fetchone() == (7,)
    finally:
        second.stop()


def test_a_given_password_is_used_and_not_stored(tmp_path: Path) -> None:
    env = {"DWSIM_HOME": str(tmp_path), "DWSIM_SNOWFLAKE_PASSWORD": "given-one"}
    stack = Stack(env=env, snowflake_emulator=True)
    assert stack.env["DWSIM_SNOWFLAKE_PASSWORD"] == "given-one"
    assert not (tmp_path / "snowflake-emulator" / "password").exists()
