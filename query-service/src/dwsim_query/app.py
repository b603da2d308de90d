"""The query service: `uvicorn dwsim_query.app:create_app --factory`.

Layers: `routes/` (one module per resource, thin) call `service.py` (the experiment's live
context, the pipeline, running and reading a statement), which calls `pipeline.py` and the
rewrite chain (`compat/`); `encoding.py` says how values travel; the Redshift wire endpoint
(`endpoint/`) calls the same service layer.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from dwsim_query.auth import require_internal_token
from dwsim_query.endpoint.server import RedshiftEndpoint
from dwsim_query.routes import functions, query, tables
from dwsim_query.snowflake_endpoint.server import start_snowflake_endpoint
from dwsim_shared.errors import DWSimError, QueryTooLarge
from dwsim_shared.http_edge import install_error_handlers
from dwsim_shared.memory import release_memory
from dwsim_shared.runtime import Runtime
from dwsim_shared.settings import Settings, get_settings

log = logging.getLogger(__name__)


async def start_redshift_endpoint(rt: Runtime) -> RedshiftEndpoint | None:
    """The Redshift endpoint, listening, when the Redshift mock is configured (port 0: off).

    A port already taken leaves the REST service up and says so: the endpoint is a door of
    its own, not a reason to refuse queries."""
    settings = rt.settings
    if not settings.redshift_url or not settings.redshift_endpoint_port:
        return None
    endpoint = RedshiftEndpoint(
        rt, settings.redshift_endpoint_host, settings.redshift_endpoint_port,
        settings.home / "endpoint",
    )  # fmt: skip
    try:
        await endpoint.start()
    except OSError as error:
        log.error(
            "redshift endpoint: cannot listen on %s:%s (%s); set DWSIM_REDSHIFT_ENDPOINT_PORT",
            settings.redshift_endpoint_host, settings.redshift_endpoint_port, error.strerror,
        )  # fmt: skip
        return None
    log.info("redshift endpoint listening on %s:%s", endpoint.host, endpoint.port)
    return endpoint


def _release_after_large(error: DWSimError) -> None:
    if isinstance(error, QueryTooLarge):
        release_memory()  # back to the service's normal size after a query stopped large


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.runtime = Runtime(settings)
        endpoint = await start_redshift_endpoint(app.state.runtime)
        snowflake = await start_snowflake_endpoint(app.state.runtime)
        yield
        if endpoint is not None:
            await endpoint.close()
        if snowflake is not None:
            await snowflake.close()
        app.state.runtime.close()

    app = FastAPI(title="DW Simulator query service", version="0.1.0", lifespan=lifespan)
    install_error_handlers(app, "query service", on_error=_release_after_large)

    internal = [Depends(require_internal_token)]
    app.include_router(tables.router, dependencies=internal)
    app.include_router(functions.router, dependencies=internal)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(query.router, dependencies=internal)
    return app
