"""The API gateway: `uvicorn dwsim_gateway.main:create_app --factory`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from dwsim_gateway import docs
from dwsim_gateway import history as query_history
from dwsim_gateway.body_size import BodySizeLimit
from dwsim_gateway.deps import require_token
from dwsim_gateway.models import ERROR_RESPONSES
from dwsim_gateway.query_client import QueryServiceClient
from dwsim_gateway.routes import (
    bundles,
    connection,
    experiments,
    health,
    history,
    lineage,
    query,
    reports,
    run_actions,
    runs,
    saved_queries,
    shards,
    sqltools,
    tables,
    warehouses,
    worksheets,
)
from dwsim_gateway.run_lifecycle import start_gateway_sweeper
from dwsim_gateway.run_status import CachedRunStatus, RunStatusCache
from dwsim_shared.http_edge import install_error_handlers
from dwsim_shared.lineage import openlineage
from dwsim_shared.runtime import Runtime
from dwsim_shared.settings import Settings, get_settings
from dwsim_shared.state.db import migrate

log = logging.getLogger(__name__)

REPO_WEB_UI = Path(__file__).resolve().parents[3] / "web-ui"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = Runtime(settings)
        app.state.runtime = runtime
        try:
            migrate(runtime.engine)
        except Exception as error:  # keep serving: requests answer 503 until the DB is back
            log.error("state database migration failed at start-up: %s", error)
        sweeper = start_gateway_sweeper(runtime)
        app.state.query_service = QueryServiceClient(settings)
        yield
        app.state.query_service.close()
        sweeper.stop()
        query_history.close(runtime)
        if (emitter := openlineage.current()) is not None:
            emitter.drain(2.0)  # lineage events of the last requests, bounded
        runtime.close()

    app = FastAPI(
        title="DW Simulator",
        version="0.1.0",
        description="Synthetic data for your warehouse: experiments, runs, queries.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    install_error_handlers(app, "gateway")
    app.state.run_status = RunStatusCache()
    app.add_middleware(
        CachedRunStatus,
        cache=app.state.run_status,
        token=settings.api_token,
        route="/api/experiments/{name}/runs/{run_id}",
    )
    app.add_middleware(BodySizeLimit, limit=settings.max_body_bytes)
    app.include_router(health.router)
    api = [Depends(require_token)]
    modules = (
        experiments,
        runs,
        run_actions,
        lineage,
        bundles,
        reports,
        shards,
        query,
        tables,
        saved_queries,
        history,
        connection,
        sqltools,
        worksheets,
    )
    for module in modules:
        app.include_router(
            module.router, prefix="/api/experiments", dependencies=api, responses=ERROR_RESPONSES
        )
    app.include_router(
        warehouses.router, prefix="/api/warehouses", dependencies=api, responses=ERROR_RESPONSES
    )
    app.include_router(
        lineage.environment_router, prefix="/api", dependencies=api, responses=ERROR_RESPONSES
    )
    docs.install(app)

    web_ui = settings.web_ui_dir or REPO_WEB_UI
    if web_ui.is_dir():
        app.mount("/ui", StaticFiles(directory=web_ui, html=True), name="web-ui")

        @app.get("/", include_in_schema=False)
        def _home() -> RedirectResponse:
            return RedirectResponse("/ui/")

        # Browsers ask for /favicon.ico on any page (the API docs too): answer, not 404.
        @app.get("/favicon.ico", include_in_schema=False)
        def _favicon() -> FileResponse:
            return FileResponse(web_ui / "favicon.svg", media_type="image/svg+xml")

    return app
