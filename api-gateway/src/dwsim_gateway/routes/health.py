"""`GET /health`: each dependency with its own status."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from dwsim_gateway.deps import QueryServiceDep, RuntimeDep
from dwsim_shared.celery_app import check_broker
from dwsim_shared.errors import DependencyUnavailable, error_text
from dwsim_shared.state.db import check_state

router = APIRouter(tags=["health"])


# `scheme://user:password@` in a message: /health is open, so passwords never appear in it.
_CREDENTIALS = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]*@")


def redacted(message: str) -> str:
    return _CREDENTIALS.sub(r"\g<scheme>***@", message)


def _probe(check: Callable[[], None]) -> dict[str, Any]:
    try:
        check()
    except DependencyUnavailable as error:
        return {"status": "unavailable", "error": redacted(error.message)}
    except Exception as error:
        return {"status": "unavailable", "error": redacted(error_text(error, "unreachable"))}
    return {"status": "ok"}


@router.get("/health")
def health(rt: RuntimeDep, query_service: QueryServiceDep) -> JSONResponse:
    """200 when the state DB, broker, object store and query service all answer; else 503."""
    settings = rt.settings

    components = {
        "state": _probe(lambda: check_state(rt.engine)),
        "broker": _probe(lambda: check_broker(rt.celery, settings.dependency_timeout_s)),
        "object_store": _probe(rt.objects.check),
        "query_service": _probe(query_service.check),
    }
    healthy = all(c["status"] == "ok" for c in components.values())
    return JSONResponse(
        status_code=200 if healthy else 503,
        content={"status": "ok" if healthy else "degraded", "components": components},
    )
