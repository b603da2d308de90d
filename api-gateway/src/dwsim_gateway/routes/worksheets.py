"""Worksheets of an experiment: the named SQL texts the UI's worksheet tabs hold, autosaved.
A PUT creates or replaces (so an autosave never has to know whether the sheet exists yet)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response, status
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dwsim_gateway.deps import ExperimentDep, SessionDep
from dwsim_shared.errors import Conflict, InvalidInput, NotFound
from dwsim_shared.state.models import ExperimentRow, WorksheetRow

router = APIRouter(tags=["worksheets"])

SHEET_NAME = r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,62}$"
SheetName = Annotated[
    str, Path(pattern=SHEET_NAME, description="letters, digits, space, _ . - (up to 63)")
]
MAX_SHEETS = 50


class WorksheetRequest(BaseModel):
    model_config = {
        "extra": "forbid",
        "json_schema_extra": {"examples": [{"sql": "SELECT 1;\nSELECT 2"}, {"name": "daily"}]},
    }

    sql: str | None = Field(default=None, max_length=1_000_000, description="the sheet's text")
    name: str | None = Field(default=None, pattern=SHEET_NAME, description="rename to this")


def _view(sheet: WorksheetRow) -> dict[str, Any]:
    return {"name": sheet.name, "sql": sheet.sql_text, "updated_at": sheet.updated_at.isoformat()}


def _sheets(session: Session, row: ExperimentRow) -> list[WorksheetRow]:
    return list(
        session.scalars(
            select(WorksheetRow)
            .where(WorksheetRow.experiment_id == row.id)
            .order_by(WorksheetRow.id)
        )
    )


def _find(session: Session, row: ExperimentRow, name: str) -> WorksheetRow | None:
    return next((s for s in _sheets(session, row) if s.name == name), None)


@router.get("/{name}/worksheets")
def list_worksheets(row: ExperimentDep, session: SessionDep) -> dict[str, Any]:
    """Every worksheet of the experiment, oldest first."""
    return {"worksheets": [_view(s) for s in _sheets(session, row)]}


@router.put("/{name}/worksheets/{sheet}")
def save_worksheet(
    row: ExperimentDep, sheet: SheetName, request: WorksheetRequest, session: SessionDep
) -> dict[str, Any]:
    """Create or replace a worksheet's text, and/or rename it (409 if the new name is taken)."""
    found = _find(session, row, sheet)
    if found is None:
        if len(_sheets(session, row)) >= MAX_SHEETS:
            raise InvalidInput(f"experiment {row.name!r} has {MAX_SHEETS} worksheets already")
        found = WorksheetRow(experiment_id=row.id, name=sheet, sql_text="")
        session.add(found)
    if request.sql is not None:
        found.sql_text = request.sql
    if request.name is not None and request.name != sheet:
        found.name = request.name
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(
            f"experiment {row.name!r} already has a worksheet {request.name!r}",
            worksheet=request.name,
        ) from None
    return _view(found)


@router.delete("/{name}/worksheets/{sheet}", status_code=status.HTTP_204_NO_CONTENT)
def delete_worksheet(row: ExperimentDep, sheet: SheetName, session: SessionDep) -> Response:
    found = _find(session, row, sheet)
    if found is None:
        raise NotFound(f"experiment {row.name!r} has no worksheet {sheet!r}", worksheet=sheet)
    session.delete(found)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
