"""The only writer of run and shard status: the transition tables, and the writes that follow them.

A run goes QUEUED -> RUNNING -> COMPLETED (or COMPLETED_WITH_WARNINGS when a check of its
report fails), or ends FAILED or ABORTED while active; a FAILED run may be retried (RUNNING
again). A shard goes PENDING -> GENERATING -> GENERATED -> LOADING -> LOADED; a lost holder
puts it back where its next task starts (GENERATING -> PENDING, LOADING -> GENERATED), and a
retried run does the same for its FAILED shards.

Two kinds of writes:
- conditional UPDATEs (`update_run`, `update_shard`): `WHERE status IN` the legal sources, so
  of two writers racing, the second finds nothing to change and is told so (False);
- writes to a loaded row (`move_run`, `move_shard`): an illegal transition raises
  `IllegalTransition` (a bug, never a user's mistake).

Keeping a status (a shard taken again by a new attempt) is not a transition: a write may name
its target among its sources.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, update
from sqlalchemy.orm import Session

from dwsim_shared.lineage.history import record_run_event
from dwsim_shared.state.models import RunRow, RunShardRow, RunStatus, ShardStatus, utcnow

R, S = RunStatus, ShardStatus

# From each status (None: the row is being created), the statuses it may move to.
RUN_TRANSITIONS: Mapping[RunStatus | None, frozenset[RunStatus]] = {
    None: frozenset({R.QUEUED}),
    R.QUEUED: frozenset({R.RUNNING, R.FAILED, R.ABORTED}),
    R.RUNNING: frozenset({R.COMPLETED, R.COMPLETED_WITH_WARNINGS, R.FAILED, R.ABORTED}),
    # A report recomputed later may change the verdict, not the completeness.
    R.COMPLETED: frozenset({R.COMPLETED_WITH_WARNINGS}),
    R.COMPLETED_WITH_WARNINGS: frozenset({R.COMPLETED}),
    R.FAILED: frozenset({R.RUNNING}),  # retry
    R.ABORTED: frozenset(),
}
SHARD_TRANSITIONS: Mapping[ShardStatus | None, frozenset[ShardStatus]] = {
    None: frozenset({S.PENDING, S.GENERATED}),  # a load run's shards start from kept objects
    S.PENDING: frozenset({S.GENERATING, S.FAILED}),
    S.GENERATING: frozenset({S.GENERATED, S.PENDING, S.FAILED}),
    S.GENERATED: frozenset({S.LOADING, S.FAILED}),
    S.LOADING: frozenset({S.LOADED, S.GENERATED, S.FAILED}),
    S.LOADED: frozenset(),
    S.FAILED: frozenset({S.PENDING, S.GENERATED}),  # retry
}


class IllegalTransition(RuntimeError):
    """A write the transition table does not allow: a bug in the caller."""


def _status(kind: type[RunStatus] | type[ShardStatus], value: str | None) -> Any:
    return None if value is None else kind(value)


def check_run(old: str | None, new: str) -> None:
    """Raise `IllegalTransition` unless a run may move from `old` to `new`."""
    if RunStatus(new) not in RUN_TRANSITIONS[_status(RunStatus, old)]:
        raise IllegalTransition(f"a run cannot go from {old} to {new}")


def check_shard(old: str | None, new: str) -> None:
    """Raise `IllegalTransition` unless a shard may move from `old` to `new`."""
    if ShardStatus(new) not in SHARD_TRANSITIONS[_status(ShardStatus, old)]:
        raise IllegalTransition(f"a shard cannot go from {old} to {new}")


def run_sources(new: RunStatus) -> tuple[RunStatus, ...]:
    return tuple(s for s, targets in RUN_TRANSITIONS.items() if s is not None and new in targets)


def shard_sources(new: ShardStatus) -> tuple[ShardStatus, ...]:
    return tuple(s for s, targets in SHARD_TRANSITIONS.items() if s is not None and new in targets)


def _sources(
    check: Any, legal: tuple[str, ...], new: str, from_: Iterable[str] | None
) -> list[str]:
    if from_ is None:
        return list(legal)
    sources = list(from_)
    for old in sources:
        if old != new:
            check(old, new)
    return sources


def update_run(
    session: Session,
    run_id: int,
    to: RunStatus,
    *,
    from_: Iterable[RunStatus] | None = None,
    where: Iterable[ColumnElement[bool]] = (),
    **values: Any,
) -> bool:
    """Move the run to `to` (with `values`) if it is in a legal source state (or one of `from_`,
    each checked against the table) and matches `where`; False when nothing matched."""
    sources = _sources(check_run, run_sources(to), to, from_)
    result = session.execute(
        update(RunRow)
        .where(RunRow.id == run_id, RunRow.status.in_(sources), *where)
        .values(status=to, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def update_shard(
    session: Session,
    shard_id: int,
    to: ShardStatus,
    *,
    from_: Iterable[ShardStatus] | None = None,
    where: Iterable[ColumnElement[bool]] = (),
    **values: Any,
) -> bool:
    """`update_run` for a shard."""
    sources = _sources(check_shard, shard_sources(to), to, from_)
    result = session.execute(
        update(RunShardRow)
        .where(RunShardRow.id == shard_id, RunShardRow.status.in_(sources), *where)
        .values(status=to, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def move_run(run: RunRow, to: RunStatus, **values: Any) -> None:
    """Set a loaded (or new) run's status and `values`; `IllegalTransition` if not allowed."""
    if run.status != to:
        check_run(run.status, to)
        run.status = to
    for name, value in values.items():
        setattr(run, name, value)


def move_shard(shard: RunShardRow, to: ShardStatus, **values: Any) -> None:
    """Set a loaded (or new) shard's status and `values`; `IllegalTransition` if not allowed."""
    if shard.status != to:
        check_shard(shard.status, to)
        shard.status = to
    for name, value in values.items():
        setattr(shard, name, value)


def new_shard_status(generated: bool) -> ShardStatus:
    """A planned shard's first status: PENDING, or GENERATED when its object exists (a load)."""
    status = S.GENERATED if generated else S.PENDING
    check_shard(None, status)
    return status


def fail_run(session: Session, run_id: int, error: str, traceback: str | None = None) -> bool:
    """Mark an active run FAILED with its error; a finished run is left as it is (False)."""
    failed = update_run(
        session, run_id, R.FAILED, error=error, traceback=traceback, finished_at=utcnow()
    )
    if failed:
        record_run_event(session, run_id, "fail", error=error)
    return failed


def abort_run(session: Session, run_id: int) -> bool:
    """Mark an active run ABORTED; False if it had already finished, or its data is already
    published (it only waits for its report: its data is live, and so is its outcome)."""
    aborted = update_run(
        session, run_id, R.ABORTED, where=[RunRow.published_at.is_(None)],
        error="aborted by a user", finished_at=utcnow(),
    )  # fmt: skip
    if aborted:
        record_run_event(session, run_id, "abort")
    return aborted


def fail_shard(shard: RunShardRow, message: str) -> None:
    move_shard(shard, S.FAILED, last_error=message)
