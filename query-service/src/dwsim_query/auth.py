"""Service-to-service auth: with a token configured, only callers that carry it may run SQL."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Header, Request

from dwsim_shared.errors import DWSimError


class Unauthorized(DWSimError):
    status = 401
    code = "unauthorized"


def require_internal_token(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> None:
    """`Authorization: Bearer <DWSIM_INTERNAL_TOKEN or DWSIM_API_TOKEN>` when either is set;
    compared in constant time."""
    token = request.app.state.runtime.settings.resolved_internal_token
    if token is None:
        return
    if not hmac.compare_digest((authorization or "").encode(), f"Bearer {token}".encode()):
        raise Unauthorized(
            "missing or wrong bearer token: the query service only answers the gateway "
            "(Authorization: Bearer <DWSIM_INTERNAL_TOKEN or DWSIM_API_TOKEN>)"
        )
