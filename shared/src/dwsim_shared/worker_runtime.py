"""What both Celery workers share: one `Runtime` per worker process, the step protocol
(`run_step`, `shard_step`), the retry policy, the lease heartbeats, and the sweeper timer of
the worker's main process.

A task is its data path inside a step:

    with shard_step(rt, shard_id, Step.GENERATE) as step:
        if isinstance(step, Skipped):
            return step
        ...  # the data path; an error is recorded on the shard and its run, then raised
        step.finish(rows_written=...)
    return step.outcome

The runtime is built on first use inside the process that runs tasks, and dropped when a
pool process forks, so no database connection crosses a fork.
"""

from __future__ import annotations

import contextlib
import logging
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from celery import Celery
from celery.signals import (
    worker_process_init,
    worker_process_shutdown,
    worker_ready,
    worker_shutdown,
)

from dwsim_shared.celery_app import enqueue
from dwsim_shared.errors import error_text
from dwsim_shared.experiment import Experiment, Table
from dwsim_shared.runs.dispatch import Step, next_tasks
from dwsim_shared.runs.leases import (
    Taken,
    heartbeat,
    release_shard,
    renew_run,
    renew_shard,
    take_run_step,
    take_shard,
    worker_name,
)
from dwsim_shared.runs.outcomes import Done, Outcome, Skip, Skipped
from dwsim_shared.runs.queries import active_shard, stale_stagings
from dwsim_shared.runs.service import send
from dwsim_shared.runs.sweeper import SweeperTimer, policy
from dwsim_shared.runs.transitions import SHARD_TRANSITIONS, fail_run, fail_shard
from dwsim_shared.runtime import Runtime
from dwsim_shared.settings import get_settings
from dwsim_shared.state.models import RunRow, RunShardRow, ShardStatus, utcnow
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


def hold_for_tests(
    rt: Runtime, experiment: str, shard_index: int, attempt: int, step: Step
) -> None:
    """The test-only switch `DWSIM_TEST_HOLD_S` (see Settings.test_hold_s): keep this shard
    in flight, under its lease, so a test can kill its worker or cancel its run meanwhile.
    An experiment named `<prefix>generate_*` or `<prefix>load_*` is held at that step only (a
    test that kills the loader need not wait out a hold of the generator first)."""
    s = rt.settings
    if not (
        s.test_hold_s > 0
        and shard_index == 1
        and attempt == 1
        and experiment.startswith(s.test_hold_prefix)
    ):
        return
    only = experiment.removeprefix(s.test_hold_prefix).partition("_")[0]
    if only in (Step.GENERATE, Step.LOAD) and only != step:
        return
    log.info("holding shard %s#1 for %.1f s (DWSIM_TEST_HOLD_S)", experiment, s.test_hold_s)
    time.sleep(s.test_hold_s)


def hold_report_for_tests(rt: Runtime, experiment: str) -> None:
    """`DWSIM_TEST_HOLD_S` again: a `held_report_*` run's validation report starts this much
    later, so a test sees the run published (live, queryable) with its report pending."""
    s = rt.settings
    if s.test_hold_s > 0 and experiment.startswith(f"{s.test_hold_prefix}report_"):
        log.info(
            "holding the report of %s for %.1f s (DWSIM_TEST_HOLD_S)", experiment, s.test_hold_s
        )
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
                # (A shard another attempt finished meanwhile stays as that attempt left it.)
                if (
                    shard is not None
                    and ShardStatus.FAILED in SHARD_TRANSITIONS[ShardStatus(shard.status)]
                ):
                    fail_shard(shard, message)
            fail_run(session, run_id, message, traceback.format_exc())
            session.commit()
    except Exception:
        log.exception("could not record the failure of run %s", run_id)


# --- the step protocol ------------------------------------------------------------------------


@dataclass
class RunStep:
    """A run's prepare or finalize step, held under its lease, with the run's validated schema."""

    run_id: int
    attempt: int
    experiment: Experiment
    warehouse: str  # the warehouse's name
    row_targets: dict[str, int]
    reconciled_counts: dict[str, int] | None
    stale_stagings: list[int]  # prepare: earlier runs whose staging may still exist
    failure: str  # what an error in the step is recorded as

    @property
    def component(self) -> str:
        return f"{self.warehouse} warehouse"


@dataclass
class ShardStep:
    """A shard's generate or load step, held under its lease, with the run's validated schema.

    The data path ends with `finish(**figures)`; leaving the block then records the shard's
    next state with them and sends its successor, and `outcome` says what happened."""

    step: Step
    taken: Taken
    experiment: Experiment
    table: Table
    shard_index: int
    row_start: int
    row_count: int
    seed: int
    row_targets: dict[str, int]
    object_key: str | None
    warehouse: str
    figures: dict[str, Any] | None = None
    outcome: Outcome | None = field(default=None, init=False)

    @property
    def shard_id(self) -> int:
        return self.taken.shard_id

    @property
    def run_id(self) -> int:
        return self.taken.run_id

    @property
    def where(self) -> str:
        verb = "generating" if self.step == Step.GENERATE else "loading"
        return f"{verb} shard {self.table.name}#{self.shard_index}"

    @property
    def failure(self) -> str:
        return self.where if self.step == Step.GENERATE else f"{self.where} failed"

    def finish(self, **figures: Any) -> None:
        self.figures = figures


# A shard step has nothing to do once the shard reached these states.
DONE_STATES = {
    Step.GENERATE: (ShardStatus.GENERATED, ShardStatus.LOADING, ShardStatus.LOADED),
    Step.LOAD: (ShardStatus.LOADED,),
}
RELEASED_STATE = {Step.GENERATE: ShardStatus.GENERATED, Step.LOAD: ShardStatus.LOADED}


def _begin_run_step(rt: Runtime, run_id: int, step: Step) -> tuple[RunStep, int] | Skipped:
    s = rt.settings
    with rt.session() as session:
        taken = take_run_step(
            session, run_id, step, now=utcnow(), lease_s=s.lease_s, max_attempts=s.max_attempts
        )
        if isinstance(taken, Skipped):
            return taken
        run = session.get(RunRow, run_id)
        assert run is not None
        experiment = Experiment.model_validate(run.schema_json)
        stale = stale_stagings(session, run) if step == Step.PREPARE else []
        failure = (
            f"preparing the {run.warehouse} warehouse failed"
            if step == Step.PREPARE
            else "finalizing the run failed"
        )
        context = RunStep(
            run_id, taken, experiment, run.warehouse, dict(run.row_targets),
            run.reconciled_counts, stale, failure,
        )  # fmt: skip
    return context, taken


@contextlib.contextmanager
def run_step(rt: Runtime, run_id: int, step: Step) -> Iterator[RunStep | Skipped]:
    """Take the run's `step` (prepare or finalize) under a lease, load the run and validate its
    schema; yield the step, or `Skipped(reason)` when there is nothing to do. The lease is
    renewed while the block runs; an error in it is recorded on the run (FAILED), then raised."""
    begun = _begin_run_step(rt, run_id, step)
    if isinstance(begun, Skipped):
        yield begun
        return
    context, attempt = begun
    with holding_run(rt, run_id, attempt):
        try:
            yield context
        except Exception as error:
            record_failure(rt, run_id, context.failure, error)
            raise


def _begin_shard_step(rt: Runtime, shard_id: int, step: Step) -> ShardStep | Skipped:
    s = rt.settings
    with rt.session() as session:
        found = active_shard(session, shard_id)
        if isinstance(found, Skipped):
            return found
        shard, run = found
        if shard.status in DONE_STATES[step]:
            return Skipped(Skip.ALREADY_DONE, RELEASED_STATE[step].lower())
        # What the step needs is read before the take, which expires the shard (the take's
        # UPDATE changes none of these).
        table_name, index, start, count, key = (
            shard.table_name, shard.shard_index, shard.row_start, shard.row_count,
            shard.object_key,
        )  # fmt: skip
        taken = take_shard(
            session, shard, step, now=utcnow(), lease_s=s.lease_s, max_attempts=s.max_attempts
        )
        if isinstance(taken, Skipped):
            return taken
        experiment = Experiment.model_validate(run.schema_json)
        table = experiment.table(table_name)
        assert table is not None
        return ShardStep(
            step, taken, experiment, table, index, start, count,
            run.seed, dict(run.row_targets), key, run.warehouse,
        )  # fmt: skip


@contextlib.contextmanager
def shard_step(rt: Runtime, shard_id: int, step: Step) -> Iterator[ShardStep | Skipped]:
    """Take the shard for `step` (generate or load) under a lease, load it and its run and
    validate the schema; yield the step, or `Skipped(reason)` when there is nothing to do.

    The lease is renewed while the block runs; an error in it is recorded on the shard and its
    run (FAILED), then raised. Once the block called `finish`, the shard moves on (unless a later
    attempt took it over) and its successor is enqueued: `outcome` says which happened."""
    context = _begin_shard_step(rt, shard_id, step)
    if isinstance(context, Skipped):
        yield context
        return
    with holding_shard(rt, context.taken):
        hold_for_tests(
            rt, context.experiment.name, context.shard_index, context.taken.attempt, context.step
        )
        try:
            yield context
        except Exception as error:
            record_failure(rt, context.run_id, context.failure, error, shard_id)
            raise
    context.outcome = _release(rt, context)


def _release(rt: Runtime, context: ShardStep) -> Outcome:
    if context.figures is None:
        raise RuntimeError(f"{context.where}: the step ended without finish()")
    released = RELEASED_STATE[context.step]
    with rt.session() as session:
        if not release_shard(
            session, context.taken, released, now=utcnow(), lease_s=rt.settings.lease_s,
            **context.figures,
        ):  # fmt: skip
            return Skipped(Skip.SUPERSEDED)
        run = session.get(RunRow, context.run_id)
        assert run is not None
        shard = session.get(RunShardRow, context.shard_id)
        assert shard is not None
        # A generated shard's load; a loaded shard's run finalizes in the loader's own task.
        successors = next_tasks(run, [shard]) if context.step == Step.GENERATE else []
    if not successors:
        return Done(context.step)
    return Done(context.step, enqueued=send(rt, successors))


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
            policy(rt.settings),
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
