"""Request dependencies as `Annotated` aliases: runtime, settings, state session, experiment."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Path, Request
from sqlalchemy.orm import Session

from dwsim_gateway.query_client import QueryServiceClient
from dwsim_gateway.run_status import RunStatusCache
from dwsim_shared.experiment import EXPERIMENT_NAME
from dwsim_shared.http_edge import RUN_ID_MAX, require_bearer
from dwsim_shared.runs.queries import run_by_number
from dwsim_shared.runtime import Runtime
from dwsim_shared.settings import Settings
from dwsim_shared.state.lookup import experiment_by_name
from dwsim_shared.state.models import ExperimentRow, RunRow


async def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_settings(rt: RuntimeDep) -> Settings:
    return rt.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_session(rt: RuntimeDep) -> Iterator[Session]:
    with rt.session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


async def require_token(
    settings: SettingsDep, authorization: Annotated[str | None, Header()] = None
) -> None:
    """With `DWSIM_API_TOKEN` set, every API call must carry `Authorization: Bearer <token>`."""
    require_bearer(authorization, settings.api_token, " (Authorization: Bearer <DWSIM_API_TOKEN>)")


# Typed, bounded ids in paths (dwsim_shared.http_edge says why and how far).
ExperimentName = Annotated[
    str, Path(description="experiment name", max_length=63, pattern=EXPERIMENT_NAME.pattern)
]
RunId = Annotated[int, Path(description="run id", ge=1, le=RUN_ID_MAX)]


async def get_query_service(request: Request) -> QueryServiceClient:
    return request.app.state.query_service


QueryServiceDep = Annotated[QueryServiceClient, Depends(get_query_service)]


async def get_run_status(request: Request) -> RunStatusCache:
    return request.app.state.run_status


RunStatusDep = Annotated[RunStatusCache, Depends(get_run_status)]


def get_experiment_row(session: SessionDep, name: ExperimentName) -> ExperimentRow:
    return experiment_by_name(session, name)


ExperimentDep = Annotated[ExperimentRow, Depends(get_experiment_row)]


def get_run(row: ExperimentDep, run_id: RunId, session: SessionDep) -> RunRow:
    """The run `run_id` (its number) of the experiment in the path; 404 naming both."""
    return run_by_number(session, row, run_id)


RunDep = Annotated[RunRow, Depends(get_run)]
