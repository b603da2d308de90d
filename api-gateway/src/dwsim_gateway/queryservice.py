"""Calls to the query service for answers the gateway shapes itself (tables, preview, profile)."""

from __future__ import annotations

from typing import Any

import httpx

from dwsim_shared.errors import DependencyUnavailable, DWSimError
from dwsim_shared.settings import Settings


class Relayed(DWSimError):
    """An error the query service answered, passed on with its own status and code."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(str(body.get("message") or f"query service answered {status}"))
        self.status = status
        self.code = str(body.get("error") or "error")
        self.details = body.get("details") or {}


def internal_headers(settings: Settings) -> dict[str, str]:
    """What proves to the query service that the call comes from the gateway."""
    token = settings.resolved_internal_token
    return {"Authorization": f"Bearer {token}"} if token else {}


def post(settings: Settings, path: str, payload: dict[str, Any]) -> dict[str, Any]:
    """POST to the query service; its errors are raised with their status, a failure as 503."""
    url = f"{settings.resolved_query_service_url}{path}"
    try:
        answer = httpx.post(
            url,
            json=payload,
            headers=internal_headers(settings),
            timeout=settings.query_timeout_s + 10,
        )
        body = answer.json()
    except httpx.HTTPError as error:
        raise DependencyUnavailable("query service", f"{url}: {error}") from error
    except ValueError as error:
        raise DependencyUnavailable(
            "query service", f"answered {answer.status_code} without JSON"
        ) from error
    if answer.status_code >= 400:
        raise Relayed(answer.status_code, body if isinstance(body, dict) else {})
    if not isinstance(body, dict):
        raise DependencyUnavailable("query service", "answered something other than an object")
    return body
