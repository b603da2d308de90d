"""Fault tests with real processes: SIGKILL a worker (the whole process, or only the pool
child running the task) in the middle of a shard, on the embedded and the distributed path.
The run must COMPLETE with exact counts, no duplicate keys and no orphans, within 90 s of the
kill. Recovery times are printed (`RECOVERY …` lines, `pytest -s` shows them).

The killed worker is started again right away, as `dw-sim-admin up` would; the lost task comes
back through the sweeper (its holder is gone, or its lease runs out), never by luck of the broker.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from dwsim_shared.runtime import Runtime
from dwsim_shared.settings import Settings
from dwsim_shared.state.models import RunShardRow, ShardStatus
from tests.conftest import BACKENDS, HOLD_PREFIX, LiveStack, LiveStacks, unique_name
from tests.test_e2e import fk_chain, query

pytestmark = pytest.mark.integration

RECOVERY_LIMIT_S = 90
# One shard per table but order_items#1, which the stack's test-only hold keeps in flight
# (tests/conftest.py LIVE_SETTINGS): that is the shard a test kills its worker under.
ROWS = {"customers": 1_000, "orders": 2_000, "order_items": 4_000}
SHARD_SIZE = 2_000
# The finalizer test needs a finalize long enough to be caught in the act: more rows, no hold.
SMALL_ROWS = {"customers": 20_000, "orders": 80_000, "order_items": 160_000}


@pytest.fixture(scope="module", params=[b for b in ("embedded", "distributed") if b in BACKENDS])
def live(request: pytest.FixtureRequest, live_stacks: LiveStacks) -> LiveStack:
    """The fault tests run on the embedded and the distributed path, on the session's stacks
    (each test starts again what it kills, as the supervisor would; the tests that follow get
    a stack whose workers all run). A worker killed while it writes a file-broker message
    leaves no empty message behind (dwsim_shared.file_broker writes it whole, then renames it)."""
    return live_stacks.get(request.param)


@pytest.fixture(scope="module")
def state(live: LiveStack) -> Iterator[Runtime]:
    """The stack's state DB, read directly to see which shard is where (tests only)."""
    options = {
        k.removeprefix("DWSIM_").lower(): v for k, v in live.env.items() if k.startswith("DWSIM_")
    }
    rt = Runtime(Settings.model_validate(options))
    yield rt
    rt.close()


def _internal(live: Any, name: str, run_id: int) -> int:
    """The run's internal id (shard rows use it), from its number within the experiment."""
    return int(live.client.get(f"/api/experiments/{name}/runs/{run_id}").json()["internal_id"])


def _shard_in(rt: Runtime, run_id: int, status: str, timeout_s: float = 120) -> RunShardRow:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with rt.session() as session:
            shard = session.scalars(
                select(RunShardRow).where(
                    RunShardRow.run_id == run_id,
                    RunShardRow.status == status,
                    RunShardRow.worker.is_not(None),
                    RunShardRow.row_count > 0,
                    RunShardRow.shard_index == 1,  # the held one: in flight for HOLD_S
                )
            ).first()
            if shard is not None:
                session.expunge(shard)
                return shard
        time.sleep(0.1)
    raise AssertionError(f"no shard of run {run_id} was ever {status}")


def _start(
    live: LiveStack,
    held: str | None,
    rows: dict[str, int] = ROWS,
    shard_size: int = SHARD_SIZE,
) -> tuple[str, int]:
    """A run of a new experiment; `held` ("generate" or "load"): the step at which the stack's
    test-only hold keeps order_items#1 in flight (only that one: a hold at the other step
    would cost its seconds for nothing)."""
    name = unique_name(f"{HOLD_PREFIX}{held}_fault" if held else "fault")
    document = fk_chain(name, live.warehouse, **{
        "customers": rows["customers"], "orders": rows["orders"], "items": rows["order_items"]
    })  # fmt: skip
    assert live.client.post("/api/experiments", json=document).status_code == 201
    answer = live.client.post(f"/api/experiments/{name}/generate", json={"shard_size": shard_size})
    assert answer.status_code == 202, answer.text
    return name, answer.json()["run_id"]


def assert_exact_and_whole(
    live: LiveStack, name: str, run: dict[str, Any], rows: dict[str, int] = ROWS
) -> None:
    assert run["status"] == "COMPLETED", run["error"]
    counts = query(
        live, name,
        "SELECT (SELECT COUNT(*) FROM customers), (SELECT COUNT(DISTINCT id) FROM customers), "
        "(SELECT COUNT(*) FROM orders), (SELECT COUNT(DISTINCT id) FROM orders), "
        "(SELECT COUNT(*) FROM order_items), (SELECT COUNT(DISTINCT id) FROM order_items)",
    )["rows"][0]  # fmt: skip
    c, o, i = rows["customers"], rows["orders"], rows["order_items"]
    assert counts == [c, c, o, o, i, i]  # exact counts, and no key loaded twice
    orphans = query(
        live, name,
        "SELECT (SELECT COUNT(*) FROM orders o LEFT JOIN customers c ON c.id = o.customer_id "
        "WHERE c.id IS NULL) + (SELECT COUNT(*) FROM order_items i LEFT JOIN orders o "
        "ON o.id = i.order_id WHERE o.id IS NULL)",
    )["rows"]  # fmt: skip
    assert orphans == [[0]]


def _kill(live: LiveStack, shard: RunShardRow, kind: str, whole: bool) -> None:
    if whole:
        live.stack.kill(f"{kind}-worker-1", signal.SIGKILL)
        live.stack.restart(live.stack.process(f"{kind}-worker-1"))  # as the supervisor does
    else:
        assert shard.worker is not None
        pid = int(shard.worker.rpartition(" pid ")[2])
        assert pid != live.stack.process(f"{kind}-worker-1").popen.pid  # type: ignore[union-attr]
        os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize(
    ("kind", "status", "whole"),
    [
        ("generator", ShardStatus.GENERATING, True),
        ("generator", ShardStatus.GENERATING, False),
        ("loader", ShardStatus.LOADING, True),
        ("loader", ShardStatus.LOADING, False),
    ],
    ids=["generator-process", "generator-pool-child", "loader-process", "loader-pool-child"],
)
def test_a_worker_killed_mid_shard_costs_seconds_not_the_run(
    live: LiveStack, state: Runtime, kind: str, status: str, whole: bool
) -> None:
    name, run_id = _start(live, held={"generator": "generate", "loader": "load"}[kind])
    shard = _shard_in(state, _internal(live, name, run_id), status)
    _kill(live, shard, kind, whole)
    killed_at = time.monotonic()
    run = live.wait_run(name, run_id, timeout_s=RECOVERY_LIMIT_S + 30)
    recovery = time.monotonic() - killed_at
    what = "process" if whole else "pool child"
    print(f"\nRECOVERY {live.backend} {kind} {what} killed while {status}: {recovery:.1f}s")
    assert_exact_and_whole(live, name, run)
    assert recovery < RECOVERY_LIMIT_S


def test_kill_the_only_loader_then_start_one_later(live: LiveStack, state: Runtime) -> None:
    name, run_id = _start(live, held="load")
    _shard_in(state, _internal(live, name, run_id), ShardStatus.LOADING)
    live.stack.kill("loader-worker-1", signal.SIGKILL)
    # No loader now: the run says what it waits for instead of looking busy.
    deadline = time.monotonic() + 60
    waiting = None
    while time.monotonic() < deadline and waiting is None:
        run = live.client.get(f"/api/experiments/{name}/runs/{run_id}").json()
        waiting = run["waiting_for"]
        time.sleep(0.5)
    assert waiting == "waiting for a loader worker"
    assert run["status"] == "RUNNING"
    live.stack.restart(live.stack.process("loader-worker-1"))
    started_at = time.monotonic()
    run = live.wait_run(name, run_id, timeout_s=RECOVERY_LIMIT_S + 30)
    print(f"\nRECOVERY {live.backend} new loader started: {time.monotonic() - started_at:.1f}s")
    assert_exact_and_whole(live, name, run)


def test_a_broker_that_loses_its_messages_costs_a_lease(live: LiveStack, state: Runtime) -> None:
    """Redis restarted without persistence (its DB flushed) or the file broker's queue folder
    emptied in the middle of a run: the sweeper sends every lost task again."""
    import redis

    name, run_id = _start(live, held="load")
    _shard_in(state, _internal(live, name, run_id), ShardStatus.LOADING)
    if live.backend == "distributed":
        redis.Redis.from_url(live.env["DWSIM_BROKER_URL"]).flushdb()
    else:
        for message in (Path(live.env["DWSIM_HOME"]) / "broker" / "queue").glob("*.msg"):
            message.unlink(missing_ok=True)
    lost_at = time.monotonic()
    run = live.wait_run(name, run_id, timeout_s=RECOVERY_LIMIT_S + 30)
    print(f"\nRECOVERY {live.backend} broker lost its messages: {time.monotonic() - lost_at:.1f}s")
    assert_exact_and_whole(live, name, run)
    assert time.monotonic() - lost_at < RECOVERY_LIMIT_S


def test_an_idle_pool_child_killed_leaves_a_working_worker(live: LiveStack, state: Runtime) -> None:
    """Billiard replaces a pool child that dies between tasks; the replacement must take work."""
    main = live.stack.process("generator-worker-1").popen
    assert main is not None
    children = [
        int(p.name)
        for p in Path("/proc").iterdir()
        if p.name.isdigit() and _parent(int(p.name)) == main.pid
    ]
    assert children, "the generator worker has no pool child"
    for child in children:
        os.kill(child, signal.SIGKILL)
    time.sleep(1)
    name, run_id = _start(live, held=None)
    run = live.wait_run(name, run_id, timeout_s=RECOVERY_LIMIT_S + 30)
    assert_exact_and_whole(live, name, run)


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def test_a_killed_finalizer_is_replaced_within_a_sweep(live: LiveStack, state: Runtime) -> None:
    """The process finalizing a run (counting, publishing, the validation report) is killed: its
    finalize step is taken over at the next sweep, as a dead shard holder's is, not after its
    lease."""
    from dwsim_shared.runs.leases import step_holder
    from dwsim_shared.state.models import RunRow

    name, run_id = _start(live, held=None, rows=SMALL_ROWS, shard_size=100_000)
    internal_id = _internal(live, name, run_id)
    deadline = time.monotonic() + 180
    holder = None
    while time.monotonic() < deadline and holder is None:
        with state.session() as session:
            run = session.get(RunRow, internal_id)
            assert run is not None and run.status in ("QUEUED", "RUNNING"), run and run.status
            if run.finalizing:
                holder = step_holder(session, internal_id)
        time.sleep(0.01)
    assert holder is not None, "the run never started finalizing"
    pid = int(holder.rpartition(" pid ")[2])
    main = live.stack.process("loader-worker-1")
    if main.popen is not None and main.popen.pid == pid:  # a worker without a pool
        live.stack.kill("loader-worker-1", signal.SIGKILL)
        live.stack.restart(main)
    else:
        os.kill(pid, signal.SIGKILL)
    killed_at = time.monotonic()
    taken_over = None
    while taken_over is None and time.monotonic() < killed_at + RECOVERY_LIMIT_S:
        with state.session() as session:
            if step_holder(session, internal_id) != holder:
                taken_over = time.monotonic() - killed_at
        time.sleep(0.05)
    run_view = live.wait_run(name, run_id, timeout_s=RECOVERY_LIMIT_S + 30)
    recovery = time.monotonic() - killed_at
    print(f"\nRECOVERY {live.backend} finalizer killed: {recovery:.1f}s (taken over {taken_over}s)")
    assert_exact_and_whole(live, name, run_view, SMALL_ROWS)
    # The test stacks' lease is short (10 s), so the time alone cannot tell an early takeover
    # from a lease waited out: shared/tests/test_leases.py checks the takeover at the next sweep
    # on a fake clock; here a killed finalizer must cost a bounded delay and no data.
    assert taken_over is not None, "nobody took the finalize step over"
    assert recovery < RECOVERY_LIMIT_S
