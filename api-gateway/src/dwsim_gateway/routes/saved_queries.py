"""Saved queries of an experiment: save, list, show, replace, delete, run."""

from __future__ import annotations

import difflib
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Response, status
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dwsim_gateway.deps import ExperimentDep, QueryServiceDep, RuntimeDep, SessionDep
from dwsim_gateway.models import SavedQuery, SavedQueryList
from dwsim_gateway.routes.query import QUERY_RESPONSES, QueryRequest, forward
from dwsim_shared.errors import Conflict, NotFound
from dwsim_shared.state.models import ExperimentRow, SavedQueryRow

router = APIRouter(tags=["saved queries"])

QUERY_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,126}$"
QueryName = Annotated[
    str, Path(pattern=QUERY_NAME, description="letters, digits, _ . - (up to 127)")
]


class SaveQueryRequest(BaseModel):
    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [{"name": "top_customers", "sql": "SELECT * FROM customers LIMIT 10"}]
        },
    }

    name: str = Field(pattern=QUERY_NAME, description="letters, digits, _ . - (up to 127)")
    sql: str = Field(min_length=1, description="the statement, in the experiment's dialect")


class UpdateQueryRequest(BaseModel):
    model_config = {
        "extra": "forbid",
        "json_schema_extra": {"examples": [{"sql": "SELECT COUNT(*) FROM orders"}]},
    }

    sql: str | None = Field(default=None, min_length=1)
    name: str | None = Field(default=None, pattern=QUERY_NAME, description="rename to this")


class RunSavedRequest(BaseModel):
    model_config = {"extra": "forbid", "json_schema_extra": {"examples": [{"format": "csv"}]}}

    limit: Annotated[int, Field(ge=1)] | None = None
    format: Literal["json", "csv"] = "json"


def _view(q: SavedQueryRow) -> dict[str, Any]:
    return {
        "name": q.name,
        "sql": q.sql_text,
        "created_at": q.created_at.isoformat(),
        "updated_at": q.updated_at.isoformat(),
    }


def _find(session: Session, row: ExperimentRow, query_name: str) -> SavedQueryRow:
    found = session.scalars(
        select(SavedQueryRow).where(
            SavedQueryRow.experiment_id == row.id, SavedQueryRow.name == query_name
        )
    ).first()
    if found is None:
        names = session.scalars(
            select(SavedQueryRow.name).where(SavedQueryRow.experiment_id == row.id)
        ).all()
        close = difflib.get_close_matches(query_name, names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise NotFound(
            f"experiment {row.name!r} has no saved query {query_name!r}{hint}", query=query_name
        )
    return found


def _commit(session: Session, row: ExperimentRow, name: str) -> None:
    try:
        session.commit()
    except IntegrityError as error:
        session.rollback()
        raise Conflict(
            f"experiment {row.name!r} already has a saved query {name!r}", query=name
        ) from error


@router.post("/{name}/queries", status_code=status.HTTP_201_CREATED, response_model=SavedQuery)
def save_query(row: ExperimentDep, request: SaveQueryRequest, session: SessionDep) -> Any:
    """Save a query under a name (409 if the name is taken: PUT replaces)."""
    saved = SavedQueryRow(experiment_id=row.id, name=request.name, sql_text=request.sql)
    session.add(saved)
    _commit(session, row, request.name)
    return _view(saved)


@router.get("/{name}/queries", response_model=SavedQueryList)
def list_queries(row: ExperimentDep, session: SessionDep) -> Any:
    found = session.scalars(
        select(SavedQueryRow)
        .where(SavedQueryRow.experiment_id == row.id)
        .order_by(SavedQueryRow.name)
    ).all()
    return {"queries": [_view(q) for q in found]}


@router.get("/{name}/queries/{query_name}", response_model=SavedQuery)
def show_query(row: ExperimentDep, query_name: QueryName, session: SessionDep) -> Any:
    return _view(_find(session, row, query_name))


@router.put("/{name}/queries/{query_name}", response_model=SavedQuery)
def update_query(
    row: ExperimentDep, query_name: QueryName, request: UpdateQueryRequest, session: SessionDep
) -> Any:
    """Change a saved query's SQL, or rename it (`name`)."""
    saved = _find(session, row, query_name)
    if request.sql is not None:
        saved.sql_text = request.sql
    if request.name is not None:
        saved.name = request.name
    _commit(session, row, saved.name)
    return _view(saved)


@router.delete("/{name}/queries/{query_name}", status_code=status.HTTP_204_NO_CONTENT)
def delete_query(row: ExperimentDep, query_name: QueryName, session: SessionDep) -> Response:
    session.delete(_find(session, row, query_name))
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{name}/queries/{query_name}/run", response_model=None, responses=QUERY_RESPONSES)
def run_saved_query(
    row: ExperimentDep,
    query_name: QueryName,
    session: SessionDep,
    rt: RuntimeDep,
    query_service: QueryServiceDep,
    request: Annotated[RunSavedRequest | None, Body()] = None,
) -> Response:
    """Run a saved query: JSON rows, or with format csv the whole result streamed."""
    request = request or RunSavedRequest()
    sql = _find(session, row, query_name).sql_text
    query = QueryRequest(sql=sql, limit=request.limit, format=request.format)
    return forward(rt, query_service, row, query, saved_query=query_name)
