"""What both Celery workers share: one `Runtime` per worker process, the retry policy, the
lease heartbeats, and the sweeper timer of the worker's main process.

The runtime is built on first use inside the process that runs tasks, and dropped when a
pool process forks, so no database connection crosses a fork.
"""

from __future__ import annotations

import contextlib
import logging
import time
import traceback
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from celery import Celery
from celery.signals import (
    worker_process_init,
    worker_process_shutdown,
    worker_ready,
    worker_shutdown,
)

from dwsim_shared.celery_app import enqueue
from dwsim_shared.errors import DependencyUnavailable, error_text
from dwsim_shared.leases import Taken, heartbeat, renew_run, renew_shard, worker_name
from dwsim_shared.runs import fail_run
from dwsim_shared.runtime import Runtime
from dwsim_shared.settings import get_settings
from dwsim_shared.state.models import RunShardRow, ShardStatus, utcnow
from dwsim_shared.sweeper import Policy, SweeperTimer
from dwsim_shared.transient import unavailable_as, with_retries

log = logging.getLogger(__name__)
T = TypeVar("T")

# Outages are retried inside the task (with_retries, bounded, with backoff), so a retry never
# depends on the broker being up; a worker that dies is the sweeper's business (leases).
RETRY_OPTIONS: dict[str, Any] = {"bind": True}

_runtime: Runtime | None = None


def runtime() -> Runtime:
    global _runtime
    if _runtime is None:
        _runtime = Runtime(get_settings())
    return _runtime


def policy(rt: Runtime) -> Policy:
    s = rt.settings
    return Policy(lease_s=s.lease_s, sweep_s=s.sweep_s, max_attempts=s.max_attempts)


def retrying(rt: Runtime, what: str, component: str, step: Callable[[], T]) -> T:
    """Run a step that talks to `component`: its transient errors are retried with backoff,
    `DEPENDENCY_RETRIES` times, then raised as `DependencyUnavailable` naming it."""

    def classified() -> T:
        with unavailable_as(component):
            return step()

    s = rt.settings
    return with_retries(
        classified, retries=s.dependency_retries, backoff_s=s.dependency_backoff_s, what=what
    )


def try_enqueue(rt: Runtime, task_name: str, target: int) -> bool:
    """Enqueue a successor; if the broker refuses, leave it to the sweeper (the lease is set)."""
    try:
        enqueue(rt.celery, task_name, target)
    except DependencyUnavailable as error:
        log.warning("could not enqueue %s(%s), the sweeper will: %s", task_name, target, error)
        return False
    return True


def hold_for_tests(rt: Runtime, experiment: str, shard_index: int, attempt: int) -> None:
    """The test-only switch `DWSIM_TEST_HOLD_S` (see Settings.test_hold_s): keep this shard
    in flight, under its lease, so a test can kill its worker or cancel its run meanwhile."""
    s = rt.settings
    if (
        s.test_hold_s > 0
        and shard_index == 1
        and attempt == 1
        and experiment.startswith(s.test_hold_prefix)
    ):
        log.info("holding shard %s#1 for %.1f s (DWSIM_TEST_HOLD_S)", experiment, s.test_hold_s)
        time.sleep(s.test_hold_s)


@contextlib.contextmanager
def holding_shard(rt: Runtime, taken: Taken) -> Iterator[None]:
    lease_s = rt.settings.lease_s
    with heartbeat(
        rt.session,
        lambda session, now: renew_shard(session, taken, now=now, lease_s=lease_s),
        lease_s=lease_s,
        clock=utcnow,
    ):
        yield


@contextlib.contextmanager
def holding_run(rt: Runtime, run_id: int, attempt: int) -> Iterator[None]:
    lease_s = rt.settings.lease_s
    with heartbeat(
        rt.session,
        lambda session, now: renew_run(session, run_id, attempt, now=now, lease_s=lease_s),
        lease_s=lease_s,
        clock=utcnow,
    ):
        yield


def record_failure(
    rt: Runtime, run_id: int, what: str, error: BaseException, shard_id: int | None = None
) -> None:
    """Write the error on the shard (if any) and fail its run, so a poll shows what went wrong.

    Never raises: the state DB may be what failed, and the task's own error is raised anyway.
    """
    # Our own errors read as sentences; a foreign one by its own text (no library class names in
    # what a user reads; the traceback keeps the type for whoever debugs it).
    detail = error_text(error, "an unexpected error (see the run's traceback)")
    message = f"{what}: {detail}"
    try:
        with rt.session() as session:
            if shard_id is not None:
                shard = session.get(RunShardRow, shard_id)
                if shard is not None:
                    shard.status = ShardStatus.FAILED
                    shard.last_error = message
            fail_run(session, run_id, message, traceback.format_exc())
            session.commit()
    except Exception:
        log.exception("could not record the failure of run %s", run_id)


@worker_process_init.connect
def _fresh_runtime(**_: object) -> None:
    global _runtime
    _runtime = None
    if _timer_runtime is not None and "engine" in _timer_runtime.__dict__:
        # A child forked after the timer started must not touch the parent's connections.
        _timer_runtime.engine.dispose(close=False)


@worker_process_shutdown.connect
def _close_runtime(**_: object) -> None:
    if _runtime is not None:
        _runtime.close()


_timer: SweeperTimer | None = None
_timer_runtime: Runtime | None = None


def start_sweeper(app: Celery, queue: str) -> None:
    """Also makes the pool survive a killed idle child (`release_locks_of_dead_pool_processes`).

    Run the sweeper timer in the worker's main process once it is ready (not in pool
    children: a child killed mid-task must not take the worker's heartbeat with it)."""

    release_locks_of_dead_pool_processes()

    @worker_ready.connect(weak=False)
    def _start(**_: object) -> None:
        global _timer, _timer_runtime
        rt = _timer_runtime = Runtime(get_settings())
        _timer = SweeperTimer(
            rt.session,
            lambda task, target: enqueue(rt.celery, task, target),
            policy(rt),
            name=f"{queue} {worker_name()}",
            queue=queue,
        ).start()

    @worker_shutdown.connect(weak=False)
    def _stop(**_: object) -> None:
        if _timer is not None:
            _timer.stop()


def _free(*locks: Any) -> None:
    for lock in locks:
        if lock is not None:
            lock.acquire(False)  # taken now if it was free, else the dead child held it
            lock.release()


def release_locks_of_dead_pool_processes() -> None:
    """Work around a billiard hang: an idle pool child can die holding the read lock of the
    queue it takes jobs from, and the child that replaces it then blocks on that lock forever
    (the worker receives tasks and never runs them; the issue saw it on the file broker).
    When a child has exited, the main process releases what it may have held, where no live
    process can hold it: the child's own queues (Celery's AsynPool, Redis) or the pool's one
    queue when the pool has a single process (billiard's Pool, the file broker)."""
    import billiard.pool
    from celery.concurrency import asynpool

    if getattr(billiard.pool.Pool.process_flush_queues, "_dwsim_patched", False):
        return
    plain_flush = billiard.pool.Pool.process_flush_queues
    async_flush = asynpool.AsynPool.process_flush_queues

    def flush_plain(self: Any, worker: Any) -> None:
        plain_flush(self, worker)
        if worker.exitcode is not None and self._processes == 1:
            _free(getattr(self._inqueue, "_rlock", None), getattr(self._outqueue, "_wlock", None))

    def flush_async(self: Any, proc: Any) -> None:
        async_flush(self, proc)
        if proc.exitcode is not None:  # also called for live children (consumer restart)
            _free(getattr(proc.inq, "_rlock", None), getattr(proc.outq, "_wlock", None))

    for patched in (flush_plain, flush_async):
        setattr(patched, "_dwsim_patched", True)  # noqa: B010
    billiard.pool.Pool.process_flush_queues = flush_plain
    asynpool.AsynPool.process_flush_queues = flush_async
