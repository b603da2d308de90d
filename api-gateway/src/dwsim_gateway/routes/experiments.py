"""Experiments: create, list, show, delete."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from dwsim_gateway.deps import ExperimentDep, RuntimeDep, SessionDep, SettingsDep
from dwsim_shared.errors import Conflict, InvalidInput
from dwsim_shared.experiment import Experiment, check_experiment
from dwsim_shared.objectstore import experiment_prefix
from dwsim_shared.runs import active_run
from dwsim_shared.state.models import ExperimentRow, RunRow
from dwsim_shared.warehouses import warehouse_names

router = APIRouter(tags=["experiments"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_experiment(
    experiment: Experiment, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    """Validate and store an experiment; answers the stored document."""
    check_experiment(experiment)
    warehouse = experiment.target_warehouse or settings.default_warehouse
    if warehouse not in warehouse_names():
        raise InvalidInput(
            f"target_warehouse: {warehouse!r} is not available yet; available: "
            f"{', '.join(warehouse_names())}",
            problems=[{"path": "target_warehouse", "message": f"{warehouse!r} is not available"}],
        )
    experiment = experiment.model_copy(update={"target_warehouse": warehouse})
    row = ExperimentRow(
        name=experiment.name,
        source_dialect=experiment.source_dialect,
        target_warehouse=warehouse,
        schema_json=experiment.to_json(),
        warnings=[],
    )
    session.add(row)
    try:
        session.commit()
    except IntegrityError as error:
        session.rollback()
        raise Conflict(
            f"experiment {experiment.name!r} already exists", experiment=experiment.name
        ) from error
    return row.schema_json


@router.get("")
def list_experiments(session: SessionDep) -> dict[str, Any]:
    rows = session.scalars(select(ExperimentRow).order_by(ExperimentRow.name)).all()
    latest: dict[int, RunRow] = {}
    for run in session.scalars(select(RunRow).order_by(RunRow.id)):
        latest[run.experiment_id] = run
    return {
        "experiments": [
            {
                "name": row.name,
                "source_dialect": row.source_dialect,
                "target_warehouse": row.target_warehouse,
                "tables": len(row.schema_json.get("tables", [])),
                "created_at": row.created_at.isoformat(),
                "updated_at": row.updated_at.isoformat(),
                "last_run": (
                    {"run_id": latest[row.id].id, "status": latest[row.id].status}
                    if row.id in latest
                    else None
                ),
            }
            for row in rows
        ]
    }


@router.get("/{name}")
def show_experiment(row: ExperimentDep) -> dict[str, Any]:
    """The experiment exactly as `POST /api/experiments` accepts it."""
    return row.schema_json


@router.delete("/{name}", status_code=status.HTTP_204_NO_CONTENT)
def delete_experiment(row: ExperimentDep, session: SessionDep, rt: RuntimeDep) -> Response:
    """Delete the experiment, its runs, its Parquet objects and its warehouse data."""
    if active_run(session, row.id) is not None:
        raise Conflict(f"experiment {row.name!r} has an active run; wait for it to finish")
    warehouses = {row.target_warehouse} | {
        w
        for (w,) in session.execute(select(RunRow.warehouse).where(RunRow.experiment_id == row.id))
    }
    for name in sorted(warehouses):
        rt.warehouse(name).drop(row.name)
    rt.objects.delete_prefix(experiment_prefix(row.name))
    session.delete(row)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
