"""Shard planning and the run life cycle on both state databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from dwsim_shared.errors import Conflict, InvalidInput
from dwsim_shared.experiment_checks import parse_experiment
from dwsim_shared.runs.create import create_run
from dwsim_shared.runs.leases import take_run_step
from dwsim_shared.runs.outcomes import Skipped
from dwsim_shared.runs.plan import plan_shards, row_targets_for
from dwsim_shared.runs.queries import progress
from dwsim_shared.runs.service import count_mismatch, mark_published
from dwsim_shared.state.db import make_engine, make_sessionmaker, migrate
from dwsim_shared.state.models import ExperimentRow, RunShardRow, ShardStatus, utcnow

EXPERIMENT = parse_experiment({
    "name": "lifecycle",
    "tables": [
        {"name": "a", "target_rows": 25, "columns": [{"name": "id", "data_type": "INT", "is_unique": True}]},
        {"name": "b", "target_rows": 0, "columns": [{"name": "id", "data_type": "INT"}]},
    ],
})  # fmt: skip


def test_plan_shards_is_exact() -> None:
    plan = plan_shards({"a": 25, "b": 0, "c": 10}, 10)
    assert [(p.table, p.shard_index, p.row_start, p.row_count) for p in plan] == [
        ("a", 0, 0, 10), ("a", 1, 10, 10), ("a", 2, 20, 5), ("b", 0, 0, 0), ("c", 0, 0, 10),
    ]  # fmt: skip
    big = plan_shards({"t": 10**9 + 1}, 10**6)
    assert sum(p.row_count for p in big) == 10**9 + 1 and len(big) == 1001


def test_row_overrides_match_names_and_refuse_unknown_tables() -> None:
    assert row_targets_for(EXPERIMENT, {"A": 7}) == {"a": 7, "b": 0}
    with pytest.raises(InvalidInput, match="unknown table 'zz'"):
        row_targets_for(EXPERIMENT, {"zz": 1})


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def session(request: pytest.FixtureRequest, tmp_path: Path) -> Session:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_db").replace(
            "postgresql://", "postgresql+psycopg2://"
        )
    engine = make_engine(url)
    migrate(engine)
    migrate(engine)  # a second start-up finds nothing to do
    return make_sessionmaker(engine)()


def _experiment_row(session: Session) -> ExperimentRow:
    row = ExperimentRow(name="lifecycle", source_dialect="redshift", target_warehouse="sqlite",
                        schema_json=EXPERIMENT.to_json(), warnings=[])  # fmt: skip
    session.add(row)
    session.commit()
    return row


def test_run_life_cycle(session: Session) -> None:
    row = _experiment_row(session)
    run = create_run(session, row, EXPERIMENT, warehouse="sqlite", seed=None,
                     row_targets={"a": 25, "b": 0}, shard_size=10)  # fmt: skip
    session.commit()
    assert 0 <= run.seed < 2**62
    assert len(run.shards) == 4
    with pytest.raises(Conflict):
        create_run(session, row, EXPERIMENT, warehouse="sqlite", seed=1,
                   row_targets={"a": 1, "b": 0}, shard_size=10)  # fmt: skip

    run.status, run.prepared_at = "RUNNING", utcnow()
    session.commit()
    finalize = lambda: take_run_step(  # noqa: E731
        session, run.id, "finalize", now=utcnow(), lease_s=30, max_attempts=3
    )
    assert isinstance(finalize(), Skipped)  # shards still to load: nobody finalizes
    for shard in session.query(RunShardRow).filter_by(run_id=run.id):
        shard.status = ShardStatus.LOADED
        shard.rows_written = shard.rows_loaded = shard.row_count
    session.commit()
    assert progress(session, run)["a"] == {
        "target_rows": 25, "generated_rows": 25, "loaded_rows": 25,
        "shards": 3, "shards_loaded": 3, "shards_failed": 0,
    }  # fmt: skip
    assert isinstance(finalize(), int)
    assert isinstance(finalize(), Skipped)  # exactly one finalizer while its lease holds
    assert count_mismatch(run.row_targets, {"a": 25, "b": 0}) is None
    mark_published(session, run.id, now=utcnow())
    session.refresh(run)
    assert run.status == "COMPLETED" and run.published_at is not None
    # A finished run no longer blocks a new one.
    create_run(
        session,
        row,
        EXPERIMENT,
        warehouse="sqlite",
        seed=1,
        row_targets={"a": 1, "b": 0},
        shard_size=10,
    )


def test_reconciliation_failure_names_the_table(session: Session) -> None:
    row = _experiment_row(session)
    run = create_run(session, row, EXPERIMENT, warehouse="sqlite", seed=3,
                     row_targets={"a": 25, "b": 0}, shard_size=100)  # fmt: skip
    session.commit()
    problem = count_mismatch(run.row_targets, {"a": 24, "b": 0})
    assert problem is not None and "a has 24 rows, expected 25" in problem
