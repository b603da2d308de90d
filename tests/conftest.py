"""Fixtures for the end-to-end suites: the whole stack as real processes, on either back end.

`stack` is parametrized like fakesnow reruns its suite against its server:
`embedded` (SQLite state, file broker, local objects, SQLite warehouse),
`distributed` (PostgreSQL state, Redis broker, S3 through a moto server,
the PostgreSQL Redshift mock) and `snowflake` (the embedded state, broker and objects, loading
into a fakesnow server). `DWSIM_TEST_BACKENDS=embedded` limits the run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from dwsim_shared.devstack import Stack
from dwsim_shared.testing import servers
from dwsim_shared.testing.fixtures import AWS_ENV

BACKENDS = [
    b
    for b in os.environ.get("DWSIM_TEST_BACKENDS", "embedded,distributed,snowflake").split(",")
    if b
]
# Each pytest-xdist worker ("gw0", "gw1", ...) runs stacks of its own, each on its own Redis
# database: DWSIM_TEST_REDIS_DB (default 2) + the worker's number for the session's
# distributed stack, MAX_WORKERS more for the module stacks (so up to 6 workers, databases
# 2-13 of Redis's default 16).
MAX_WORKERS = 6
XDIST_INDEX = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
assert XDIST_INDEX < MAX_WORKERS, f"at most {MAX_WORKERS} pytest-xdist workers (Redis databases)"
REDIS_TEST_DB = int(os.environ.get("DWSIM_TEST_REDIS_DB", "2")) + XDIST_INDEX
# The module-scoped stacks (fault tests, outage tests; one at a time per worker).
REDIS_MODULE_DB = REDIS_OUTAGE_DB = REDIS_TEST_DB + MAX_WORKERS


@dataclass
class LiveStack:
    backend: str
    stack: Stack
    client: httpx.Client
    warehouse: str
    env: dict[str, str]

    @property
    def url(self) -> str:
        return self.stack.url

    def object_keys(self, prefix: str) -> list[str]:
        """What the stack's object store holds, read with the project's own store client."""
        from dwsim_shared.objectstore import make_object_store
        from dwsim_shared.settings import Settings

        options = {
            k.removeprefix("DWSIM_").lower(): v
            for k, v in self.env.items()
            if k.startswith("DWSIM_")
        }
        return make_object_store(Settings.model_validate(options)).list_keys(prefix)

    def wait_run(self, experiment: str, run_id: int, timeout_s: float = 180) -> dict[str, Any]:
        import time

        deadline = time.monotonic() + timeout_s
        seen = []
        while time.monotonic() < deadline:
            run = self.client.get(f"/api/experiments/{experiment}/runs/{run_id}").json()
            if not seen or seen[-1] != run["status"]:
                seen.append(run["status"])
            if run["status"] in ("COMPLETED", "COMPLETED_WITH_WARNINGS", "FAILED", "ABORTED"):
                run["seen_statuses"] = seen
                return run
            time.sleep(0.25)
        logs = "\n".join(f"--- {p.name}\n{p.tail(15)}" for p in self.stack.processes)
        raise AssertionError(f"run {run_id} not final after {timeout_s} s (saw {seen})\n{logs}")


def _distributed_env(
    tmp: Path, postgres_server_url: str, redis_url: str, s3_url: str, redis_db: int = REDIS_TEST_DB
) -> Iterator[dict[str, str]]:
    import boto3

    redis.Redis.from_url(f"{redis_url}/{redis_db}").flushdb()
    bucket = f"dwsim-e2e-{uuid.uuid4().hex[:8]}"
    boto3.client("s3", endpoint_url=s3_url, region_name="us-east-1").create_bucket(Bucket=bucket)
    with (
        servers.scratch_database(postgres_server_url, "dwsim_state") as state_url,
        servers.scratch_database(postgres_server_url, "dwsim_redshift") as redshift_url,
    ):
        yield {
            "DWSIM_HOME": str(tmp),
            "DWSIM_STATE_URL": state_url,
            "DWSIM_BROKER_URL": f"{redis_url}/{redis_db}",
            "DWSIM_OBJECT_STORE": f"s3://{bucket}",
            "DWSIM_S3_ENDPOINT_URL": s3_url,
            "DWSIM_REDSHIFT_URL": redshift_url,
            "DWSIM_DEFAULT_WAREHOUSE": "redshift",
            **AWS_ENV,
        }


# Every live stack runs with short leases and sweeps (a lost shard costs seconds, not half a
# minute) and the test-only hold (Settings.test_hold_s): the second shard of a table of an
# experiment named `held_*` stays in flight for HOLD_S, so the fault and life-cycle tests
# catch a shard mid-way with thousands of rows instead of a million (at both steps; only at
# one for `held_generate_*` / `held_load_*`). The lease stays 10 s: renewals every 3.3 s keep
# it on a machine loaded 8-12 on 2 cores.
HOLD_PREFIX = "held_"
HOLD_S = 4.0
LIVE_SETTINGS = {
    "DWSIM_LEASE_S": "10",
    "DWSIM_SWEEP_S": "2",
    "DWSIM_TEST_HOLD_S": str(HOLD_S),
    "DWSIM_TEST_HOLD_PREFIX": HOLD_PREFIX,
}


class LiveStacks:
    """One whole stack per back end, started on first use and kept for the session: tests
    never depend on each other's rows (each uses its own experiment names), so the ~20 s a
    stack costs to start is paid three times per session, not three times per module."""

    def __init__(
        self, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
    ) -> None:
        self._request = request
        self._tmp = tmp_path_factory
        self._open: dict[str, tuple[Iterator[LiveStack], LiveStack]] = {}

    def get(self, backend: str) -> LiveStack:
        if backend not in self._open:
            running = live_stack(self._request, backend, self._tmp)
            self._open[backend] = (running, next(running))
        running, live = self._open[backend]
        if not live.stack.processes:
            raise AssertionError(f"the {backend} stack was stopped by an earlier test")
        return live

    def close(self) -> None:
        # The stacks are thrown away (live_stack kills their processes): nothing waits for a
        # Celery worker's graceful shutdown (seconds each, on a loaded machine).
        for running, _ in self._open.values():
            running.close()
        self._open.clear()


@pytest.fixture(scope="session")
def live_stacks(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveStacks]:
    stacks = LiveStacks(request, tmp_path_factory)
    yield stacks
    stacks.close()


@pytest.fixture(scope="module", params=BACKENDS)
def live(request: pytest.FixtureRequest, live_stacks: LiveStacks) -> LiveStack:
    """The session's stack of one back end (module scope only orders the tests by back end)."""
    return live_stacks.get(request.param)


def live_stack(
    request: pytest.FixtureRequest,
    backend: str,
    tmp_path_factory: pytest.TempPathFactory,
    redis_db: int = REDIS_TEST_DB,
) -> Iterator[LiveStack]:
    """The whole stack as real processes on one back end, until the generator is closed.
    A stack started while the session's stack of the same back end runs needs another
    `redis_db` (REDIS_MODULE_DB), or the two would take each other's tasks."""
    tmp = tmp_path_factory.mktemp(f"stack-{backend}")
    if backend == "embedded":
        contexts: Iterator[dict[str, str]] = iter([{"DWSIM_HOME": str(tmp)}])
        warehouse = "sqlite"
    elif backend == "snowflake":
        snowflake = request.getfixturevalue("snowflake_server")
        env = {"DWSIM_HOME": str(tmp), **snowflake, "DWSIM_DEFAULT_WAREHOUSE": "snowflake"}
        contexts = iter([env])
        warehouse = "snowflake"
    else:
        pg = request.getfixturevalue("postgres_server_url")
        rd = request.getfixturevalue("redis_server_url")
        s3 = request.getfixturevalue("s3_endpoint_url")
        contexts = _distributed_env(tmp, pg, rd, s3, redis_db=redis_db)
        warehouse = "redshift"
    env = {**LIVE_SETTINGS, **next(contexts)}
    stack = Stack(env=dict(env), generator_workers=1, loader_workers=1)
    stack.start()
    try:
        with httpx.Client(base_url=stack.url, timeout=60) as client:
            yield LiveStack(backend, stack, client, warehouse, env)
    finally:
        stack.stop(graceful=False)  # a test stack: its state is thrown away
        for _ in contexts:  # run the generator's clean-up (drop scratch databases)
            pass


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"
