"""Helpers for tests of the worker functions: an embedded runtime with one submitted run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dwsim_shared.experiment_checks import parse_experiment
from dwsim_shared.runs.create import create_run
from dwsim_shared.runs.service import mark_published
from dwsim_shared.runs.transitions import update_run
from dwsim_shared.runtime import Runtime
from dwsim_shared.settings import Settings
from dwsim_shared.state.db import migrate
from dwsim_shared.state.models import ExperimentRow, RunRow, RunStatus, utcnow


def embedded_runtime(home: Path, **overrides: Any) -> Runtime:
    runtime = Runtime(Settings.model_validate({"home": home, **overrides}))
    migrate(runtime.engine)
    return runtime


def submit_run(
    rt: Runtime,
    document: dict[str, Any],
    *,
    seed: int = 1,
    shard_size: int = 1000,
    published: bool = False,
) -> int:
    """Store an experiment and a QUEUED run of it, as the gateway would; returns the run id.
    `published`: the run is recorded as completed and live instead (for tests that load the
    warehouse themselves and then query it)."""
    experiment = parse_experiment(document)
    warehouse = experiment.target_warehouse or rt.settings.default_warehouse
    with rt.session() as session:
        row = ExperimentRow(
            name=experiment.name, source_dialect=experiment.source_dialect,
            target_warehouse=warehouse, schema_json=experiment.to_json(), warnings=[],
        )  # fmt: skip
        session.add(row)
        session.flush()
        run = create_run(
            session, row, experiment, warehouse=warehouse, seed=seed,
            row_targets={t.name: t.target_rows for t in experiment.tables}, shard_size=shard_size,
        )  # fmt: skip
        session.commit()
        if published:
            update_run(session, run.id, RunStatus.RUNNING)
            mark_published(session, run.id, now=utcnow())
        return run.id


def queued_messages(rt: Runtime, queue: str) -> int:
    """Messages waiting in the embedded file-system broker for one queue."""
    folder = rt.settings.broker_folder / "queue"
    return sum(1 for p in folder.glob(f"*.{queue}.msg"))


def run_row(rt: Runtime, run_id: int) -> RunRow:
    with rt.session() as session:
        run = session.get(RunRow, run_id)
        assert run is not None
        session.expunge(run)
        return run
