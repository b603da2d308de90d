"""Request dependencies as `Annotated` aliases: runtime, settings, state session, experiment."""

from __future__ import annotations

import difflib
import hmac
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Path, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from dwsim_gateway.run_status import RunStatusCache
from dwsim_shared.errors import DWSimError, NotFound
from dwsim_shared.experiment import EXPERIMENT_NAME
from dwsim_shared.runtime import Runtime
from dwsim_shared.settings import Settings
from dwsim_shared.state.models import ExperimentRow


class Unauthorized(DWSimError):
    status = 401
    code = "unauthorized"


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
    if settings.api_token is None:
        return
    expected = f"Bearer {settings.api_token}".encode()
    if not hmac.compare_digest((authorization or "").encode(), expected):
        raise Unauthorized(
            "missing or wrong bearer token (Authorization: Bearer <DWSIM_API_TOKEN>)"
        )


# Checked before the name reaches a database, a path or an object key (NUL, control characters).
ExperimentName = Annotated[
    str, Path(description="experiment name", max_length=63, pattern=EXPERIMENT_NAME.pattern)
]
# The state DB's run ids are 32-bit integers: a larger one is refused, not sent to the database
# (in a path or in a body).
RUN_ID_MAX = 2**31 - 1
RunId = Annotated[int, Path(description="run id", ge=1, le=RUN_ID_MAX)]


async def get_run_status(request: Request) -> RunStatusCache:
    return request.app.state.run_status


RunStatusDep = Annotated[RunStatusCache, Depends(get_run_status)]


def get_experiment_row(session: SessionDep, name: ExperimentName) -> ExperimentRow:
    row = session.scalars(select(ExperimentRow).where(ExperimentRow.name == name)).first()
    if row is None:
        names = session.scalars(select(ExperimentRow.name)).all()
        close = difflib.get_close_matches(name, names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise NotFound(f"experiment {name!r} does not exist{hint}", experiment=name)
    return row


ExperimentDep = Annotated[ExperimentRow, Depends(get_experiment_row)]
