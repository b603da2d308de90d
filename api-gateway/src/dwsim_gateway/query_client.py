"""The gateway's one client of the query service: a pool of HTTP connections made in the
gateway's lifespan (`app.state.query_service`, `QueryServiceDep`), reused by every call."""

from __future__ import annotations

from typing import Any

import httpx

from dwsim_shared.errors import DependencyUnavailable, DWSimError
from dwsim_shared.settings import Settings

COMPONENT = "query service"


class Relayed(DWSimError):
    """An error the query service answered, passed on with its own status and code."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(str(body.get("message") or f"query service answered {status}"))
        self.status = status
        self.code = str(body.get("error") or "error")
        self.details = body.get("details") or {}


class QueryServiceClient:
    """Calls to the query service over one connection pool; a failure to reach it is 503."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = settings.resolved_query_service_url
        token = settings.resolved_internal_token
        self._client = httpx.Client(
            base_url=self.url,
            # What proves to the query service that the call comes from the gateway.
            headers={"Authorization": f"Bearer {token}"} if token else {},
            timeout=httpx.Timeout(settings.query_timeout_s + 10, connect=5),
            # Each running query holds a connection: as many as the gateway's threads. An idle
            # connection is dropped well before the query service's keep-alive timeout (30 s,
            # uvicorn's default 5 s), so a request never goes out on a socket the server is
            # closing at that moment (seen as "Connection reset by peer" under load).
            limits=httpx.Limits(
                max_connections=200, max_keepalive_connections=40, keepalive_expiry=2.0
            ),
        )

    def close(self) -> None:
        self._client.close()

    def request(
        self,
        path: str,
        payload: dict[str, Any],
        *,
        timeout_s: float | None = None,
        stream: bool = False,
    ) -> httpx.Response:
        """POST `payload`; the answer whatever its status (streamed: the caller closes it)."""
        timeout = (
            httpx.Timeout(timeout_s, connect=5) if timeout_s is not None else self._client.timeout
        )
        try:
            request = self._client.build_request("POST", path, json=payload, timeout=timeout)
            return self._client.send(request, stream=stream)
        except httpx.HTTPError as error:
            raise DependencyUnavailable(COMPONENT, f"{self.url}{path}: {error}") from error

    def post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        """POST to the query service; its errors are raised with their status, a failure as 503."""
        answer = self.request(path, payload)
        try:
            body = answer.json()
        except ValueError as error:
            raise DependencyUnavailable(
                COMPONENT, f"answered {answer.status_code} without JSON"
            ) from error
        if answer.status_code >= 400:
            raise Relayed(answer.status_code, body if isinstance(body, dict) else {})
        if not isinstance(body, dict):
            raise DependencyUnavailable(COMPONENT, "answered something other than an object")
        return body

    def check(self) -> None:
        """`DependencyUnavailable` unless `/health` answers 200 in the dependency timeout."""
        try:
            answer = self._client.get("/health", timeout=self.settings.dependency_timeout_s)
        except httpx.HTTPError as error:
            raise DependencyUnavailable(COMPONENT, f"{self.url}: {error}") from error
        if answer.status_code != 200:
            raise DependencyUnavailable(
                COMPONENT, f"{self.url}/health answered {answer.status_code}"
            )
