"""Leases: a worker holds a shard (or a run's prepare / finalize step) until `lease_until`,
renewing it while it works. A lease that runs out means the holder died or its task was lost;
the sweeper (runs/sweeper.py) then enqueues the step again.

Every function takes `now`, so the rules are tested with a fake clock. A take counts an
attempt; the attempt number also fences renewals, so a worker that lost its lease cannot
extend the lease of the worker that took the shard after it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from dwsim_shared.runs.dispatch import Step
from dwsim_shared.runs.outcomes import Skip, Skipped
from dwsim_shared.runs.transitions import fail_run, fail_shard, update_run, update_shard
from dwsim_shared.state.models import (
    ACTIVE_RUN_STATUSES,
    RunRow,
    RunShardRow,
    RunStatus,
    ShardStatus,
    SweepClaimRow,
)
from dwsim_shared.threads import periodically

log = logging.getLogger(__name__)

# What a shard task may take, by stage: the states it starts from, the state it holds.
STAGES: dict[str, tuple[tuple[ShardStatus, ...], ShardStatus]] = {
    Step.GENERATE: ((ShardStatus.PENDING, ShardStatus.GENERATING), ShardStatus.GENERATING),
    Step.LOAD: ((ShardStatus.GENERATED, ShardStatus.LOADING), ShardStatus.LOADING),
}
VERBS = {
    ShardStatus.PENDING: "generating",
    ShardStatus.GENERATING: "generating",
    ShardStatus.GENERATED: "loading",
    ShardStatus.LOADING: "loading",
}


def worker_name() -> str:
    return f"{socket.gethostname()} pid {os.getpid()}"


def holder_gone(worker: str | None) -> bool:
    """True when the lease holder was a process on this host that no longer exists: its lease
    need not be waited out (a local stack recovers in one sweep instead of one lease)."""
    if not worker:
        return False
    host, _, pid = worker.rpartition(" pid ")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return _is_zombie(int(pid))


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def step_claim_name(run_id: int) -> str:
    """The `sweep_claims` row naming the process that holds a run's prepare / finalize step
    (shards carry their holder in `run_shards.worker`; runs have no such column, and this
    keyed row needs no migration)."""
    return f"run-step {run_id}"


def step_holder(session: Session, run_id: int) -> str | None:
    claim = session.get(SweepClaimRow, step_claim_name(run_id), populate_existing=True)
    return claim.holder if claim is not None else None


def _record_step_holder(session: Session, run_id: int, now: dt.datetime, worker: str) -> None:
    """Upsert the holder in the caller's transaction (portable: UPDATE, then INSERT)."""
    name = step_claim_name(run_id)
    result = session.execute(
        update(SweepClaimRow)
        .where(SweepClaimRow.name == name)
        .values(holder=worker, next_at=now)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        session.add(SweepClaimRow(name=name, holder=worker, next_at=now))


def step_holder_gone(session: Session, run: RunRow) -> bool:
    """Whether the run's step was taken by a process of this host that no longer exists."""
    return run.attempts > 0 and holder_gone(step_holder(session, run.id))


def lease_end(now: dt.datetime, lease_s: float) -> dt.datetime:
    return now + dt.timedelta(seconds=lease_s)


def expired(until: dt.datetime | None, now: dt.datetime) -> bool:
    """Whether a lease read back from the state DB has run out (SQLite returns naive UTC)."""
    if until is None:
        return True
    if until.tzinfo is None:
        until = until.replace(tzinfo=dt.UTC)
    return until <= now


@dataclass(frozen=True)
class Taken:
    """A held shard: renew with `attempt` as the fence."""

    shard_id: int
    run_id: int
    attempt: int
    holding: ShardStatus = ShardStatus.GENERATING


def lost_message(shard: RunShardRow, attempts: int) -> str:
    verb = VERBS.get(ShardStatus(shard.status), "working on")
    last = f"; last error: {shard.last_error}" if shard.last_error else ""
    return (
        f"shard {shard.table_name}#{shard.shard_index}: its worker was lost {attempts} times "
        f"while {verb} it{last}"
    )


def take_shard(
    session: Session,
    shard: RunShardRow,
    stage: str,
    *,
    now: dt.datetime,
    lease_s: float,
    max_attempts: int,
    worker: str | None = None,
) -> Taken | Skipped:
    """Hold `shard` for `stage` (generate or load), or say why not: another worker holds
    it, it is past this stage, or it was taken `max_attempts` times already (which fails the run).

    Commits. The caller has checked that the run is active.
    """
    sources, holding = STAGES[stage]
    if shard.status not in sources:
        return Skipped(Skip.PAST_STAGE, shard.status)
    if (
        shard.status == holding
        and not expired(shard.lease_until, now)
        and not holder_gone(shard.worker)
    ):
        return Skipped(Skip.HELD)
    if shard.attempts >= max_attempts:
        message = lost_message(shard, shard.attempts)
        fail_shard(shard, message)
        fail_run(session, shard.run_id, message)
        session.commit()
        return Skipped(Skip.ATTEMPTS_EXHAUSTED)
    # A conditional UPDATE: of two deliveries racing for the same shard, one wins.
    won = update_shard(
        session,
        shard.id,
        holding,
        from_=(ShardStatus(shard.status),),
        where=(RunShardRow.attempts == shard.attempts,),
        attempts=shard.attempts + 1,
        worker=worker or worker_name(),
        lease_until=lease_end(now, lease_s),
    )
    session.commit()
    if not won:
        return Skipped(Skip.HELD)
    # The conditional UPDATE won, so the row holds exactly this; the object is expired rather
    # than read back (a caller that reads it again reloads it; a worker's step has read what
    # it needs before: one round trip less per shard step).
    taken = Taken(shard.id, shard.run_id, shard.attempts + 1, holding)
    session.expire(shard)
    return taken


def release_shard(
    session: Session,
    taken: Taken,
    status: str,
    *,
    now: dt.datetime,
    lease_s: float,
    **fields: object,
) -> bool:
    """Record the held shard's next state (and figures), only if this attempt still holds it.

    A shard moving on to a queued state (GENERATED) gets a fresh lease for its next task, and
    its attempts start again at 0 for that stage. False when another attempt took it over:
    the work was done twice, which idempotent tasks allow, and the later attempt records it.
    """
    values: dict[str, object] = {"last_error": None, **fields}
    if status == ShardStatus.GENERATED:
        values |= {"attempts": 0, "lease_until": lease_end(now, lease_s)}
    else:
        values["lease_until"] = None
    released = update_shard(
        session,
        taken.shard_id,
        ShardStatus(status),
        from_=(taken.holding,),
        where=(RunShardRow.attempts == taken.attempt,),
        **values,
    )
    session.commit()
    return released


def renew_shard(session: Session, taken: Taken, *, now: dt.datetime, lease_s: float) -> bool:
    """Extend a held shard's lease; False when the holder lost it (another attempt took it)."""
    result = session.execute(
        update(RunShardRow)
        .where(
            RunShardRow.id == taken.shard_id,
            RunShardRow.attempts == taken.attempt,
            RunShardRow.status == taken.holding,
        )
        .values(lease_until=lease_end(now, lease_s))
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def take_run_step(
    session: Session,
    run_id: int,
    step: str,
    *,
    now: dt.datetime,
    lease_s: float,
    max_attempts: int,
    worker: str | None = None,
) -> int | Skipped:
    """Hold a run's `prepare` or `finalize` step; the attempt number, or why not.

    Prepare is taken while the run is not prepared; finalize once every shard is LOADED
    (`finalizing` is set, so it is the old single-finalizer election, plus a lease).
    """
    run = session.get(RunRow, run_id, populate_existing=True)
    if run is None:
        return Skipped(Skip.GONE)
    if run.status not in ACTIVE_RUN_STATUSES:
        return Skipped(Skip.RUN_ENDED, run.status)
    conditions = [RunRow.attempts == run.attempts]
    # A holder known dead (a process of this host that is gone) holds nothing: no lease to wait.
    dead = step_holder_gone(session, run)
    held = run.attempts > 0 and not expired(run.lease_until, now) and not dead
    values: dict[str, object] = {
        "attempts": run.attempts + 1,
        "lease_until": lease_end(now, lease_s),
    }
    if step == Step.PREPARE:
        if run.prepared_at is not None:
            return Skipped(Skip.ALREADY_DONE, "prepared")
        if held:
            return Skipped(Skip.HELD)
        if run.started_at is None:
            values["started_at"] = now
    else:
        not_loaded = (
            select(RunShardRow.id)
            .where(RunShardRow.run_id == run_id, RunShardRow.status != ShardStatus.LOADED)
            .exists()
        )
        conditions += [RunRow.prepared_at.is_not(None), ~not_loaded]
        if run.finalizing and held:
            return Skipped(Skip.HELD)
        if run.finalizing and not dead:
            conditions.append(or_(RunRow.lease_until.is_(None), RunRow.lease_until <= now))
        values["finalizing"] = True
    if run.attempts >= max_attempts and (step == Step.PREPARE or run.finalizing):
        message = f"{'preparing' if step == Step.PREPARE else 'finalizing'} the run: its worker was lost {run.attempts} times"
        fail_run(session, run_id, message)
        session.commit()
        return Skipped(Skip.ATTEMPTS_EXHAUSTED)
    if step == Step.PREPARE:  # QUEUED -> RUNNING (a retaken prepare stays RUNNING)
        won = update_run(
            session, run_id, RunStatus.RUNNING, from_=ACTIVE_RUN_STATUSES, where=conditions,
            **values,
        )  # fmt: skip
    else:
        won = bool(
            session.execute(
                update(RunRow)
                .where(RunRow.id == run_id, RunRow.status.in_(ACTIVE_RUN_STATUSES), *conditions)
                .values(**values)
                .execution_options(synchronize_session=False)
            ).rowcount  # type: ignore[attr-defined]
        )
    if not won:
        session.commit()
        return Skipped(Skip.NOT_READY) if step == Step.FINALIZE else Skipped(Skip.HELD)
    _record_step_holder(session, run_id, now, worker or worker_name())
    session.commit()
    return run.attempts + 1


def renew_run(
    session: Session, run_id: int, attempt: int, *, now: dt.datetime, lease_s: float
) -> bool:
    result = session.execute(
        update(RunRow)
        .where(
            RunRow.id == run_id,
            RunRow.attempts == attempt,
            RunRow.status.in_(ACTIVE_RUN_STATUSES),
        )
        .values(lease_until=lease_end(now, lease_s))
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


@contextlib.contextmanager
def heartbeat(
    session_factory: Callable[[], contextlib.AbstractContextManager[Session]],
    renew: Callable[[Session, dt.datetime], bool],
    *,
    lease_s: float,
    clock: Callable[[], dt.datetime],
) -> Iterator[None]:
    """Renew a lease every third of its length while the block runs (in a thread, so a long
    COPY or a long shard keeps its hold). A failed renewal is logged and tried again."""

    def beat() -> bool:
        try:
            with session_factory() as session:
                if not renew(session, clock()):
                    log.warning("lease lost; another attempt holds the work now")
                    return False
        except Exception as error:  # the state DB may be down for a moment
            log.warning("could not renew a lease: %s", error)
        return True

    with periodically(lease_s / 3, beat, name="dwsim-lease", join_timeout_s=5):
        yield
