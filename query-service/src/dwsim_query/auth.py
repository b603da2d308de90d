"""Service-to-service auth: with a token configured, only callers that carry it may run SQL."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Request

from dwsim_shared.http_edge import require_bearer


def require_internal_token(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> None:
    """`Authorization: Bearer <DWSIM_INTERNAL_TOKEN or DWSIM_API_TOKEN>` when either is set."""
    require_bearer(
        authorization,
        request.app.state.runtime.settings.resolved_internal_token,
        ": the query service only answers the gateway "
        "(Authorization: Bearer <DWSIM_INTERNAL_TOKEN or DWSIM_API_TOKEN>)",
    )
