"""Reproducible bundles: a completed run exported as one tar.gz (see lineage/bundle.py)."""

from __future__ import annotations

import os
import tempfile
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from dwsim_gateway.deps import ExperimentDep, RunDep, RuntimeDep, SessionDep
from dwsim_shared.lineage.bundle import write_bundle
from dwsim_shared.transient import unavailable_as

router = APIRouter(tags=["lineage"])


@router.post(
    "/{name}/runs/{run_id}/export",
    response_class=FileResponse,
    responses={200: {"content": {"application/gzip": {}}, "description": "the bundle"}},
)
def export_run(
    row: ExperimentDep,
    run: RunDep,
    session: SessionDep,
    rt: RuntimeDep,
    with_data: Annotated[bool, Query(description="include the Parquet objects")] = False,
    with_wheels: Annotated[
        bool,
        Query(description="include a wheel of every library generation needs (offline install)"),
    ] = False,
) -> FileResponse:
    """A reproducible bundle of a completed run: document (and DDL), seed, row targets, shard
    size, plan digest, lineage, every object's checksum, lock file, requirements, the project's
    generation code as a wheel (with `with_wheels`, every library's too), README, `verify.py`
    and a Dockerfile that regenerates and verifies the data."""
    handle, path = tempfile.mkstemp(prefix="dwsim-bundle-", suffix=".tar.gz")
    try:
        with os.fdopen(handle, "wb") as out, unavailable_as("object store"):
            write_bundle(
                out, session, row, run,
                objects=rt.objects if with_data else None,
                wheel_cache=rt.settings.wheel_cache if with_wheels else None,
            )  # fmt: skip
    except BaseException:
        os.unlink(path)
        raise
    return FileResponse(
        path,
        media_type="application/gzip",
        filename=f"{row.name}-run{run.number}.tar.gz",
        background=BackgroundTask(os.unlink, path),
    )
