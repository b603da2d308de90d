"""The sweeper: finds work whose lease ran out and enqueues it again.

It needs no service of its own: every worker process and the gateway run `SweeperTimer`, and a
conditional UPDATE on `sweep_claims` elects the one process that sweeps in each period. The
timer also records the worker as alive for its queue, which is how a run's status can say it
waits for a generator or a loader worker instead of looking busy.

`sweep()` takes `now` and an `enqueue` callable, so it is tested with a fake clock. What it
sends is what `dispatch.next_tasks` says comes next, once that step's lease ran out.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dwsim_shared.celery_app import FINALIZE_RUN, GENERATE_QUEUE, LOAD_QUEUE, PREPARE_RUN
from dwsim_shared.runs.dispatch import SHARD_STEP, NextTask, Step, next_tasks
from dwsim_shared.runs.leases import (
    expired,
    holder_gone,
    lease_end,
    lost_message,
    step_claim_name,
    step_holder_gone,
)
from dwsim_shared.runs.transitions import fail_run, fail_shard, move_shard
from dwsim_shared.settings import Settings
from dwsim_shared.state.models import (
    ACTIVE_RUN_STATUSES,
    RunRow,
    RunShardRow,
    ShardStatus,
    SweepClaimRow,
    WorkerRow,
    utcnow,
)

log = logging.getLogger(__name__)

SWEEP = "sweeper"
WORKING = (ShardStatus.GENERATING, ShardStatus.LOADING)
REQUEUED_STATE = {
    ShardStatus.GENERATING: ShardStatus.PENDING,
    ShardStatus.LOADING: ShardStatus.GENERATED,
}
QUEUE_WORKER = {GENERATE_QUEUE: "generator", LOAD_QUEUE: "loader"}


@dataclass(frozen=True)
class Policy:
    lease_s: float = 30.0
    sweep_s: float = 10.0
    max_attempts: int = 3

    @property
    def alive_s(self) -> float:
        """A worker not seen for this long is taken for gone (two missed beats and slack)."""
        return 2 * self.sweep_s + 5


def policy(settings: Settings) -> Policy:
    """The lease, sweep and attempt figures every process of a deployment shares."""
    return Policy(
        lease_s=settings.lease_s, sweep_s=settings.sweep_s, max_attempts=settings.max_attempts
    )


@dataclass
class SweepReport:
    enqueued: list[tuple[str, int]] = field(default_factory=list)
    failed_runs: list[int] = field(default_factory=list)
    waiting: dict[int, str] = field(default_factory=dict)


def record_worker(session: Session, name: str, queue: str, now: dt.datetime) -> None:
    """Upsert this worker's last sighting (portable: UPDATE, then INSERT if it was new)."""
    result = session.execute(
        update(WorkerRow).where(WorkerRow.name == name).values(queue=queue, last_seen=now)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        session.add(WorkerRow(name=name, queue=queue, last_seen=now))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
        return
    session.commit()


def forget_worker(session: Session, name: str) -> None:
    session.execute(delete(WorkerRow).where(WorkerRow.name == name))
    session.commit()


def live_queues(session: Session, now: dt.datetime, policy: Policy) -> set[str]:
    since = now - dt.timedelta(seconds=policy.alive_s)
    return set(session.scalars(select(WorkerRow.queue).where(WorkerRow.last_seen > since)))


def waiting_for(queues_needed: set[str], live: set[str]) -> str | None:
    """What a run waits for, in words, when no live worker serves a queue it needs."""
    missing = sorted(QUEUE_WORKER[q] for q in queues_needed - live)
    if not missing:
        return None
    return "waiting for a " + " and a ".join(missing) + " worker"


def claim_sweep(session: Session, holder: str, now: dt.datetime, policy: Policy) -> bool:
    """True for one process per sweep period, whichever asks first once it is due."""
    next_at = now + dt.timedelta(seconds=policy.sweep_s * 0.9)
    result = session.execute(
        update(SweepClaimRow)
        .where(SweepClaimRow.name == SWEEP, SweepClaimRow.next_at <= now)
        .values(holder=holder, next_at=next_at)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount:  # type: ignore[attr-defined]
        session.commit()
        return True
    if session.get(SweepClaimRow, SWEEP) is not None:
        session.rollback()
        return False
    session.add(SweepClaimRow(name=SWEEP, holder=holder, next_at=next_at))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def sweep(
    session: Session,
    now: dt.datetime,
    policy: Policy,
    enqueue: Callable[[str, int], None],
) -> SweepReport:
    """One pass over the active runs: re-enqueue what stalled, fail what was lost too often.

    A step is only re-enqueued while a worker serves its queue (else the message would wait
    anyway, and copies would pile up); its lease is renewed so the next pass leaves it alone.
    `enqueue` failing (broker down) leaves the lease as it was, for the next pass.
    """
    report = SweepReport()
    live = live_queues(session, now, policy)
    runs = session.scalars(select(RunRow).where(RunRow.status.in_(ACTIVE_RUN_STATUSES))).all()
    for run in runs:
        try:
            _sweep_run(session, run, now, policy, enqueue, live, report)
        except Exception:
            session.rollback()
            log.exception("sweeping run %s failed", run.id)
    cutoff = now - dt.timedelta(hours=1)
    session.execute(delete(WorkerRow).where(WorkerRow.last_seen < cutoff))
    # The holders of run steps taken a day ago (long finished; at worst a step still running
    # then waits out its lease instead of being reclaimed at once).
    session.execute(
        delete(SweepClaimRow).where(
            SweepClaimRow.name.like(step_claim_name(0).replace("0", "%")),
            SweepClaimRow.next_at < now - dt.timedelta(days=1),
        )
    )
    session.commit()
    return report


def _send(
    session: Session,
    enqueue: Callable[[str, int], None],
    task: str,
    target: int,
    report: SweepReport,
) -> bool:
    # State first: a worker that takes the task at once must find the state it starts from.
    # If the broker refuses, the lease just set runs out and the next pass tries again.
    session.commit()
    try:
        enqueue(task, target)
    except Exception as error:
        log.warning("sweeper could not enqueue %s(%s): %s", task, target, error)
        return False
    report.enqueued.append((task, target))
    return True


def _sweep_run(
    session: Session,
    run: RunRow,
    now: dt.datetime,
    policy: Policy,
    enqueue: Callable[[str, int], None],
    live: set[str],
    report: SweepReport,
) -> None:
    unfinished: list[RunShardRow] = []
    if run.prepared_at is not None:
        unfinished = list(
            session.scalars(
                select(RunShardRow).where(
                    RunShardRow.run_id == run.id, RunShardRow.status != ShardStatus.LOADED
                )
            )
        )
    tasks = next_tasks(run, unfinished)
    if tasks and tasks[0].step == Step.PREPARE:
        _sweep_prepare(session, run, now, policy, enqueue, live, report)
    elif tasks and tasks[0].step == Step.FINALIZE:
        _sweep_finalize(session, run, now, policy, enqueue, live, report)
    else:
        _sweep_shards(session, run, tasks, unfinished, now, policy, enqueue, live, report)


def _sweep_prepare(
    session: Session,
    run: RunRow,
    now: dt.datetime,
    policy: Policy,
    enqueue: Callable[[str, int], None],
    live: set[str],
    report: SweepReport,
) -> None:
    lease = run.lease_until
    if lease is None:  # just submitted: the gateway's own enqueue gets one lease period
        lease = lease_end(_aware(run.created_at), policy.lease_s)
    if LOAD_QUEUE not in live:
        report.waiting[run.id] = waiting_for({LOAD_QUEUE}, live) or ""
        return
    if not expired(lease, now) and not step_holder_gone(session, run):
        return
    if run.attempts >= policy.max_attempts:
        fail_run(session, run.id, f"preparing the run: its worker was lost {run.attempts} times")
        session.commit()
        report.failed_runs.append(run.id)
        return
    if run.attempts == 0:  # never taken: its message waits in the queue, or was lost
        run.lease_until = lease_end(now, policy.lease_s)
    # Else a holder died; its lease stays expired so the task may take the step over
    # (each pass sends it again until one does; a duplicate finds it held or done).
    _send(session, enqueue, PREPARE_RUN, run.id, report)


def _sweep_shards(
    session: Session,
    run: RunRow,
    tasks: list[NextTask],
    unfinished: list[RunShardRow],
    now: dt.datetime,
    policy: Policy,
    enqueue: Callable[[str, int], None],
    live: set[str],
    report: SweepReport,
) -> None:
    if waiting := waiting_for({t.queue for t in tasks}, live):
        report.waiting[run.id] = waiting
    shards = {s.id: s for s in unfinished}
    for task in tasks:
        shard = shards[task.target]
        if SHARD_STEP.get(ShardStatus(shard.status)) != task.step:
            continue  # moved on since it was read (the last pass's commit reloads it)
        working = shard.status in WORKING
        if not expired(shard.lease_until, now) and not (working and holder_gone(shard.worker)):
            continue
        if working and shard.attempts >= policy.max_attempts:
            message = lost_message(shard, shard.attempts)
            fail_shard(shard, message)
            fail_run(session, run.id, message)
            session.commit()
            report.failed_runs.append(run.id)
            return
        if task.queue not in live:
            continue
        shard.lease_until = lease_end(now, policy.lease_s)
        if working:  # its holder is lost: back to the state the re-enqueued task starts from
            move_shard(shard, REQUEUED_STATE[ShardStatus(shard.status)], worker=None)
        _send(session, enqueue, task.task, shard.id, report)


def _sweep_finalize(
    session: Session,
    run: RunRow,
    now: dt.datetime,
    policy: Policy,
    enqueue: Callable[[str, int], None],
    live: set[str],
    report: SweepReport,
) -> None:
    """Every shard is loaded: finalization never started, or its holder died."""
    if run.finalizing and not expired(run.lease_until, now) and not step_holder_gone(session, run):
        return
    if not run.finalizing and run.lease_until is not None and not expired(run.lease_until, now):
        return
    if LOAD_QUEUE not in live:
        report.waiting[run.id] = waiting_for({LOAD_QUEUE}, live) or ""
        return
    if run.finalizing and run.attempts >= policy.max_attempts:
        fail_run(session, run.id, f"finalizing the run: its worker was lost {run.attempts} times")
        session.commit()
        report.failed_runs.append(run.id)
        return
    run.lease_until = lease_end(now, policy.lease_s) if not run.finalizing else run.lease_until
    _send(session, enqueue, FINALIZE_RUN, run.id, report)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


class SweeperTimer:
    """A daemon thread: every `sweep_s`, record this worker as alive (if it serves a queue),
    and sweep if this process wins the claim. Errors are logged; the timer keeps going."""

    def __init__(
        self,
        session_factory: Callable[[], object],
        enqueue: Callable[[str, int], None],
        policy: Policy,
        *,
        name: str,
        queue: str | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._sessions = session_factory
        self._enqueue = enqueue
        self.policy = policy
        self.name = name
        self.queue = queue
        self._clock = clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="dwsim-sweeper", daemon=True)

    def start(self) -> SweeperTimer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        if self.queue is not None:
            try:
                with self._sessions() as session:  # type: ignore[attr-defined]
                    forget_worker(session, self.name)
            except Exception as error:
                log.debug("could not remove worker %s: %s", self.name, error)

    def tick(self) -> SweepReport | None:
        now = self._clock()
        with self._sessions() as session:  # type: ignore[attr-defined]
            if self.queue is not None:
                record_worker(session, self.name, self.queue, now)
            if not claim_sweep(session, self.name, now, self.policy):
                return None
            report = sweep(session, now, self.policy, self._enqueue)
        if report.enqueued or report.failed_runs:
            log.warning(
                "sweeper: re-enqueued %s; failed runs %s", report.enqueued, report.failed_runs
            )
        return report

    def _loop(self) -> None:
        while True:
            try:
                self.tick()
            except Exception as error:  # state DB down: try again next period
                log.warning("sweeper pass failed: %s", error)
            if self._stop.wait(self.policy.sweep_s):
                return
