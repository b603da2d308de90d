"""Experiments: create (JSON or DDL), validate, list, show, replace, delete."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dwsim_gateway.deps import ExperimentDep, RuntimeDep, SessionDep, SettingsDep
from dwsim_gateway.models import ExperimentList, ImportAnswer, ValidateAnswer
from dwsim_gateway.run_lifecycle import drop_warehouse_data
from dwsim_shared.errors import BadRequest, Conflict, InvalidInput
from dwsim_shared.experiment import Experiment, invalid_input
from dwsim_shared.experiment_checks import check_experiment
from dwsim_shared.input_limits import check_ddl_size, check_run_size
from dwsim_shared.lineage.history import record_version
from dwsim_shared.objectstore import experiment_prefix
from dwsim_shared.runs.create import refuse_if_active
from dwsim_shared.settings import Settings
from dwsim_shared.state.models import ExperimentRow, RunRow
from dwsim_shared.warehouses import warehouse_names

router = APIRouter(tags=["experiments"])
# The stored document, typed as the schema language; fields left unset are omitted.
DOCUMENT: dict[str, Any] = {"response_model": Experiment, "response_model_exclude_none": True}


class ImportSqlRequest(BaseModel):
    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [
                {
                    "name": "shop",
                    "dialect": "redshift",
                    "sql": "CREATE TABLE customers (id BIGINT PRIMARY KEY, email VARCHAR(120));",
                    "rows": {"customers": 1000},
                    "target_warehouse": "sqlite",
                }
            ]
        },
    }

    name: str = Field(description="Name of the experiment to create.")
    sql: str = Field(min_length=1, description="CREATE TABLE statements (others are skipped).")
    dialect: str = Field(description="redshift | snowflake | postgres")
    target_rows: Annotated[int, Field(ge=0)] | None = None
    rows: dict[str, Annotated[int, Field(ge=0)]] | None = None
    target_warehouse: str | None = None
    locale: str = "en_US"
    seed: Annotated[int, Field(ge=0, lt=2**63)] | None = None


def _ready(experiment: Experiment, settings: Settings) -> Experiment:
    """Whole-document checks, and the configured warehouse filled in when none is named."""
    check_run_size({t.name: t.target_rows for t in experiment.tables}, 10**18, settings)
    check_experiment(experiment)
    warehouse = experiment.target_warehouse or settings.default_warehouse
    if warehouse not in warehouse_names():
        raise InvalidInput(
            f"target_warehouse: {warehouse!r} is not available yet; available: "
            f"{', '.join(warehouse_names())}",
            problems=[{"path": "target_warehouse", "message": f"{warehouse!r} is not available"}],
        )
    return experiment.model_copy(update={"target_warehouse": warehouse})


def _import(request: ImportSqlRequest, settings: Settings) -> tuple[Experiment, list[str]]:
    from dwsim_shared.ddl import import_ddl

    check_ddl_size(request.sql, settings)
    try:
        result = import_ddl(
            request.sql, request.dialect, name=request.name, target_rows=request.target_rows,
            rows=request.rows, target_warehouse=request.target_warehouse, locale=request.locale,
            seed=request.seed,
        )  # fmt: skip
    except RecursionError:  # nesting without parentheses (a+b+...): the tokenizer check misses it
        raise BadRequest(
            "DDL nests expressions too deeply to read; simplify the deepest expression"
        ) from None
    return _ready(result.experiment, settings), result.warnings


def _insert(
    session: Session, experiment: Experiment, warnings: list[str], source_sql: str | None = None
) -> ExperimentRow:
    row = ExperimentRow(
        name=experiment.name,
        source_dialect=experiment.source_dialect,
        target_warehouse=experiment.target_warehouse,
        schema_json=experiment.to_json(),
        warnings=warnings,
    )
    session.add(row)
    try:
        session.flush()
        record_version(session, row, source_sql=source_sql)
        session.commit()
    except IntegrityError as error:
        session.rollback()
        raise Conflict(
            f"experiment {experiment.name!r} already exists", experiment=experiment.name
        ) from error
    return row


@router.post("", status_code=status.HTTP_201_CREATED, **DOCUMENT)
def create_experiment(
    experiment: Experiment, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    """Validate and store an experiment; answers the stored document."""
    return _insert(session, _ready(experiment, settings), []).schema_json


@router.post("/import-sql", status_code=status.HTTP_201_CREATED, response_model=ImportAnswer)
def import_sql(
    request: ImportSqlRequest, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    """Create an experiment from Redshift / Snowflake / PostgreSQL DDL, with inferred rules."""
    experiment, warnings = _import(request, settings)
    row = _insert(session, experiment, warnings, source_sql=request.sql)
    return {"experiment": row.schema_json, "warnings": warnings}


@router.post("/validate", response_model=ValidateAnswer)
def validate(document: Annotated[dict[str, Any], Body()], settings: SettingsDep) -> dict[str, Any]:
    """Check an experiment document, or DDL (`{"sql", "dialect", "name"?, ...}`), saving nothing."""
    warnings: list[str] = []
    if "sql" in document:
        try:
            request = ImportSqlRequest.model_validate({"name": "validated", **document})
        except ValidationError as error:
            raise invalid_input(error) from None
        experiment, warnings = _import(request, settings)
    else:
        try:
            experiment = _ready(Experiment.model_validate(document), settings)
        except ValidationError as error:
            raise invalid_input(error) from None
    return {"valid": True, "experiment": experiment.to_json(), "warnings": warnings}


@router.get("", response_model=ExperimentList)
def list_experiments(session: SessionDep) -> dict[str, Any]:
    rows = session.scalars(select(ExperimentRow).order_by(ExperimentRow.name)).all()
    # Only the columns shown: a run row carries its whole schema document.
    latest = {
        experiment_id: {"run_id": run_id, "status": status}
        for experiment_id, run_id, status in session.execute(
            select(RunRow.experiment_id, RunRow.number, RunRow.status).order_by(RunRow.id)
        )
    }
    return {
        "experiments": [
            {
                "name": row.name,
                "source_dialect": row.source_dialect,
                "target_warehouse": row.target_warehouse,
                "tables": len(row.schema_json.get("tables", [])),
                "created_at": row.created_at.isoformat(),
                "updated_at": row.updated_at.isoformat(),
                "last_run": latest.get(row.id),
            }
            for row in rows
        ]
    }


@router.get("/{name}", **DOCUMENT)
def show_experiment(row: ExperimentDep) -> dict[str, Any]:
    """The experiment exactly as `POST /api/experiments` accepts it."""
    return row.schema_json


@router.put("/{name}", **DOCUMENT)
def replace_experiment(
    row: ExperimentDep, experiment: Experiment, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    """Replace the experiment's document (e.g. after adjusting inferred rules); 409 during a run."""
    if experiment.name != row.name:
        raise InvalidInput(
            f"name: the document is named {experiment.name!r} but the URL names {row.name!r}; "
            "experiments cannot be renamed",
            problems=[{"path": "name", "message": f"expected {row.name!r}"}],
        )
    refuse_if_active(session, row)
    experiment = _ready(experiment, settings)
    row.schema_json = experiment.to_json()
    row.source_dialect = experiment.source_dialect
    row.target_warehouse = experiment.target_warehouse or settings.default_warehouse
    record_version(session, row)
    session.commit()
    return row.schema_json


@router.delete("/{name}", status_code=status.HTTP_204_NO_CONTENT)
def delete_experiment(row: ExperimentDep, session: SessionDep, rt: RuntimeDep) -> Response:
    """Delete the experiment, its runs, its Parquet objects and its warehouse data. A warehouse
    that cannot be reached (or is no longer configured) does not block it: 200 with warnings."""
    refuse_if_active(session, row)
    runs = session.execute(
        select(RunRow.id, RunRow.warehouse).where(RunRow.experiment_id == row.id)
    ).all()
    warehouses = {row.target_warehouse} | {w for _, w in runs}
    warnings = drop_warehouse_data(rt, row.name, sorted(warehouses), [r for r, _ in runs])
    rt.objects.delete_prefix(experiment_prefix(row.name))
    session.delete(row)
    session.commit()
    if warnings:
        return JSONResponse({"deleted": row.name, "warnings": warnings})
    return Response(status_code=status.HTTP_204_NO_CONTENT)
