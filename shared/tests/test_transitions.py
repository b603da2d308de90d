"""The run life cycle's transition tables: every legal transition is made, every illegal one is
refused; `next_tasks` is the one rule of what comes next; nothing else writes a status."""

from __future__ import annotations

import ast
import datetime as dt
import itertools
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from dwsim_shared.experiment_checks import parse_experiment
from dwsim_shared.runs.create import create_run
from dwsim_shared.runs.dispatch import NextTask, Step, next_tasks
from dwsim_shared.runs.outcomes import Done, Failed, Skip, Skipped
from dwsim_shared.runs.transitions import (
    RUN_TRANSITIONS,
    SHARD_TRANSITIONS,
    IllegalTransition,
    check_run,
    check_shard,
    move_run,
    move_shard,
    update_run,
    update_shard,
)
from dwsim_shared.state.db import make_engine, make_sessionmaker, migrate
from dwsim_shared.state.models import ExperimentRow, RunRow, RunShardRow, RunStatus, ShardStatus

R, S = RunStatus, ShardStatus
LEGAL_RUN = {
    (None, R.QUEUED),
    (R.QUEUED, R.RUNNING), (R.QUEUED, R.FAILED), (R.QUEUED, R.ABORTED),
    (R.RUNNING, R.COMPLETED), (R.RUNNING, R.COMPLETED_WITH_WARNINGS),
    (R.RUNNING, R.FAILED), (R.RUNNING, R.ABORTED),
    (R.COMPLETED, R.COMPLETED_WITH_WARNINGS), (R.COMPLETED_WITH_WARNINGS, R.COMPLETED),
    (R.FAILED, R.RUNNING),
}  # fmt: skip
LEGAL_SHARD = {
    (None, S.PENDING), (None, S.GENERATED),
    (S.PENDING, S.GENERATING), (S.PENDING, S.FAILED),
    (S.GENERATING, S.GENERATED), (S.GENERATING, S.PENDING), (S.GENERATING, S.FAILED),
    (S.GENERATED, S.LOADING), (S.GENERATED, S.FAILED),
    (S.LOADING, S.LOADED), (S.LOADING, S.GENERATED), (S.LOADING, S.FAILED),
    (S.FAILED, S.PENDING), (S.FAILED, S.GENERATED),
}  # fmt: skip
RUN_PAIRS = list(itertools.product([None, *RunStatus], RunStatus))
SHARD_PAIRS = list(itertools.product([None, *ShardStatus], ShardStatus))
EXPERIMENT = parse_experiment({
    "name": "moves",
    "tables": [{"name": "a", "target_rows": 5,
                "columns": [{"name": "id", "data_type": "INT", "is_unique": True}]}],
})  # fmt: skip


def test_the_tables_are_the_documented_ones() -> None:
    assert {(a, b) for a, targets in RUN_TRANSITIONS.items() for b in targets} == LEGAL_RUN
    assert {(a, b) for a, targets in SHARD_TRANSITIONS.items() for b in targets} == LEGAL_SHARD
    assert set(RUN_TRANSITIONS) == {None, *RunStatus}
    assert set(SHARD_TRANSITIONS) == {None, *ShardStatus}


@pytest.mark.parametrize(("old", "new"), RUN_PAIRS)
def test_every_run_transition_is_allowed_or_refused(old: RunStatus | None, new: RunStatus) -> None:
    run = RunRow(status=old)
    if (old, new) in LEGAL_RUN:
        check_run(old, new)
        move_run(run, new, error="e")
        assert (run.status, run.error) == (new, "e")
    elif old == new:  # staying is no transition: the row keeps it, and only its values change
        with pytest.raises(IllegalTransition):
            check_run(old, new)
        move_run(run, new, error="e")
        assert (run.status, run.error) == (new, "e")
    else:
        with pytest.raises(IllegalTransition, match=f"a run cannot go from {old} to {new}"):
            check_run(old, new)
        with pytest.raises(IllegalTransition):
            move_run(run, new, error="e")
        assert (run.status, run.error) == (old, None)


@pytest.mark.parametrize(("old", "new"), SHARD_PAIRS)
def test_every_shard_transition_is_allowed_or_refused(
    old: ShardStatus | None, new: ShardStatus
) -> None:
    shard = RunShardRow(status=old)
    if (old, new) in LEGAL_SHARD:
        check_shard(old, new)
        move_shard(shard, new, last_error="e")
        assert (shard.status, shard.last_error) == (new, "e")
    elif old == new:
        with pytest.raises(IllegalTransition):
            check_shard(old, new)
        move_shard(shard, new, last_error="e")
        assert shard.status == new
    else:
        with pytest.raises(IllegalTransition, match=f"a shard cannot go from {old} to {new}"):
            check_shard(old, new)
        with pytest.raises(IllegalTransition):
            move_shard(shard, new, last_error="e")
        assert (shard.status, shard.last_error) == (old, None)


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('moves') / 'state.db'}")
    migrate(engine)
    session = make_sessionmaker(engine)()
    row = ExperimentRow(name="moves", source_dialect="redshift", target_warehouse="sqlite",
                        schema_json=EXPERIMENT.to_json(), warnings=[])  # fmt: skip
    session.add(row)
    session.flush()
    create_run(session, row, EXPERIMENT, warehouse="sqlite", seed=1, row_targets={"a": 5},
               shard_size=10)  # fmt: skip
    session.commit()
    return session


def _put(session: Session, model: type[RunRow] | type[RunShardRow], status: str) -> int:
    """Set the only run's (or shard's) status directly: the test's own setup, not a transition."""
    session.execute(update(model).values(status=status))
    session.commit()
    row = session.query(model).one()
    session.refresh(row)
    return row.id


def _status(session: Session, model: type[RunRow] | type[RunShardRow]) -> str:
    row = session.query(model).one()
    session.refresh(row)
    return row.status


@pytest.mark.parametrize(("old", "new"), [p for p in RUN_PAIRS if p[0] is not None])
def test_the_run_update_in_the_database_follows_the_table(
    session: Session, old: RunStatus, new: RunStatus
) -> None:
    run_id = _put(session, RunRow, old)
    if (old, new) in LEGAL_RUN:
        assert update_run(session, run_id, new, from_=(old,))
        assert _status(session, RunRow) == new
        _put(session, RunRow, old)
        assert update_run(session, run_id, new)  # by default: from any legal source
    elif old == new:
        assert update_run(session, run_id, new, from_=(old,))  # kept, values written
        assert not update_run(session, run_id, new)  # not a source of itself
    else:
        with pytest.raises(IllegalTransition):
            update_run(session, run_id, new, from_=(old,))
        assert not update_run(session, run_id, new)  # its legal sources do not match the row
        assert _status(session, RunRow) == old
    session.commit()


@pytest.mark.parametrize(("old", "new"), [p for p in SHARD_PAIRS if p[0] is not None])
def test_the_shard_update_in_the_database_follows_the_table(
    session: Session, old: ShardStatus, new: ShardStatus
) -> None:
    shard_id = _put(session, RunShardRow, old)
    if (old, new) in LEGAL_SHARD:
        assert update_shard(session, shard_id, new, from_=(old,))
        assert _status(session, RunShardRow) == new
        _put(session, RunShardRow, old)
        assert update_shard(session, shard_id, new)
    elif old == new:
        assert update_shard(session, shard_id, new, from_=(old,))
        assert not update_shard(session, shard_id, new)
    else:
        with pytest.raises(IllegalTransition):
            update_shard(session, shard_id, new, from_=(old,))
        assert not update_shard(session, shard_id, new)
        assert _status(session, RunShardRow) == old
    session.commit()


class _Run:
    def __init__(self, prepared: bool) -> None:
        self.id = 7
        self.prepared_at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) if prepared else None


class _Shard:
    def __init__(self, id: int, status: ShardStatus) -> None:
        self.id, self.status = id, status


def test_next_tasks_is_the_one_rule_of_what_comes_next() -> None:
    shards = [_Shard(i, s) for i, s in enumerate(ShardStatus, start=1)]
    assert next_tasks(_Run(prepared=False), shards) == [NextTask(Step.PREPARE, 7)]
    assert next_tasks(_Run(prepared=True), shards) == [
        NextTask(Step.GENERATE, 1),  # PENDING
        NextTask(Step.GENERATE, 2),  # GENERATING (its holder was lost)
        NextTask(Step.LOAD, 3),  # GENERATED
        NextTask(Step.LOAD, 4),  # LOADING
    ]  # LOADED and FAILED shards: nothing
    assert next_tasks(_Run(prepared=True), [_Shard(5, S.LOADED)]) == [NextTask(Step.FINALIZE, 7)]
    assert next_tasks(_Run(prepared=True), []) == [NextTask(Step.FINALIZE, 7)]
    assert next_tasks(_Run(prepared=True), [_Shard(6, S.FAILED)]) == []
    assert [t.task for t in next_tasks(_Run(prepared=True), shards[:3])] == [
        "dwsim.generate_shard", "dwsim.generate_shard", "dwsim.load_shard",
    ]  # fmt: skip


def test_outcomes_read_as_the_task_results_always_did() -> None:
    assert str(Done(Step.PREPARE, enqueued=3)) == "prepared, 3 shards enqueued"
    assert str(Done(Step.GENERATE, enqueued=1)) == "generated"
    assert str(Done(Step.GENERATE, enqueued=0)) == "generated; its load is left to the sweeper"
    assert str(Done(Step.LOAD, then=Done(Step.FINALIZE))) == "loaded, run finalized"
    assert str(Done(Step.LOAD, then=Skipped(Skip.NOT_READY))) == "loaded"
    assert str(Done(Step.FINALIZE)) == "finalized"
    assert str(Failed("counts")) == "failed: counts"
    assert str(Skipped(Skip.RUN_ENDED, "ABORTED")) == "run aborted"
    assert str(Skipped(Skip.PAST_STAGE, "LOADED")) == "shard is loaded"
    assert str(Skipped(Skip.ALREADY_DONE, "loaded", then=Done(Step.FINALIZE))) == (
        "already loaded, run finalized"
    )
    assert str(Skipped(Skip.HELD)) == "held by another worker"
    assert str(Skipped(Skip.ATTEMPTS_EXHAUSTED)) == "failed: attempts exhausted"
    assert str(Skipped(Skip.SUPERSEDED)) == "superseded by a later attempt"


ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    p
    for package in ("shared", "api-gateway", "loader-worker", "generator-worker", "query-service")
    for p in (ROOT / package / "src").rglob("*.py")
]
TRANSITIONS = ROOT / "shared/src/dwsim_shared/runs/transitions.py"
ROW_CLASSES = {"RunRow", "RunShardRow"}


def _parsed(path: Path) -> ast.Module:
    # CPython 3.11 keeps the AST builder's recursion depth in interpreter-wide state: a parse
    # or compile in another thread of this process at the same moment fails this one with
    # "AST constructor recursion depth mismatch" (seen under pytest-xdist). Parsed again.
    for attempt in range(5):
        try:
            return ast.parse(path.read_text(), str(path))
        except SystemError:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


def _status_writes(path: Path) -> list[str]:
    """`x.status = ...`, `.values(status=...)` and `RunRow(status=...)` outside transitions.py."""
    found = []
    for node in ast.walk(_parsed(path)):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for t in target.elts if isinstance(target, ast.Tuple) else [target]:
                    if (
                        isinstance(t, ast.Attribute)
                        and t.attr == "status"
                        and not (isinstance(t.value, ast.Name) and t.value.id == "self")
                    ):
                        found.append(f"{path.name}:{node.lineno} assigns .status")
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name == "values" or name in ROW_CLASSES:
                for keyword in node.keywords:
                    if keyword.arg == "status":
                        found.append(f"{path.name}:{node.lineno} {name}(status=...)")
    return found


def test_nothing_but_transitions_writes_a_status() -> None:
    assert len(SOURCES) > 100

    def scan() -> tuple[list[str], list[str]]:
        others = [w for p in SOURCES if p != TRANSITIONS for w in _status_writes(p)]
        return others, _status_writes(TRANSITIONS)

    writes, own = scan()
    assert writes == []
    assert own  # the scan does find writes where they are
