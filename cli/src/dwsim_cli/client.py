"""The HTTP layer: one `ApiRequest` is one call, sent with httpx or rendered as curl."""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx

from dwsim_cli.errors import ApiError, BadAnswer, GatewayUnreachable

DEFAULT_URL = "http://127.0.0.1:8000"
# Queries may legitimately run long; the gateway answers 504 on its own timeout.
DEFAULT_TIMEOUT = httpx.Timeout(300.0, connect=10.0)


@dataclass(frozen=True)
class ApiRequest:
    """One REST call: method, path below the base URL, optional JSON body."""

    method: str
    path: str
    body: Any = None
    stream: bool = False  # the answer is a byte stream (CSV), not one JSON document

    def encoded_body(self) -> bytes | None:
        """The exact bytes sent (and shown by `--print-curl`), or None without a body."""
        if self.body is None:
            return None
        return json.dumps(self.body, ensure_ascii=False).encode("utf-8")


def build_url(base_url: str, path: str) -> str:
    """Join the gateway base URL (which may carry a path prefix) and an API path.

    >>> build_url("http://h:8000/", "/api/experiments")
    'http://h:8000/api/experiments'
    """
    return base_url.rstrip("/") + path


def request_headers(request: ApiRequest, token: str | None) -> dict[str, str]:
    """Headers for `request`: JSON content type when there is a body, bearer token if any."""
    headers: dict[str, str] = {}
    if request.body is not None:
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def render_curl(request: ApiRequest, base_url: str, token: str | None) -> str:
    """A shell-quoted curl command line equivalent to sending `request`."""
    parts = ["curl", "-sS"]
    if request.method != "GET":
        parts += ["-X", request.method]
    parts.append(build_url(base_url, request.path))
    for name, value in request_headers(request, token).items():
        parts += ["-H", f"{name}: {value}"]
    body = request.encoded_body()
    if body is not None:
        parts += ["--data-binary", body.decode("utf-8")]
    return shlex.join(parts)


def error_from_response(response: httpx.Response) -> ApiError:
    """Build an `ApiError` from an error answer, tolerating bodies not in the API's shape."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        details = body.get("details")
        return ApiError(
            response.status_code,
            str(body.get("error") or ""),
            body["message"],
            details if isinstance(details, dict) else {},
        )
    text = response.text.strip()[:200] or response.reason_phrase
    if response.status_code != 404:  # a proxy's 502 page says something worth showing
        return ApiError(response.status_code, "", f"HTTP {response.status_code}: {text}", {})
    # A 404 not in the gateway's error shape: --url most likely names another service.
    try:
        where = str(response.request.url)
    except RuntimeError:  # a response built without its request (tests)
        where = "the server"
    return ApiError(
        404,
        "",
        f"{where} is not a DW Simulator API address (404 Not Found): "
        "is --url (or DWSIM_URL) the gateway's base URL, e.g. http://127.0.0.1:8000?",
        {},
    )


class GatewayClient:
    """Sends `ApiRequest`s to the gateway; pass `transport` to talk to a fake in tests."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        self.base_url = base_url
        self.token = token
        self._http = httpx.Client(transport=transport, timeout=timeout)

    def send(self, request: ApiRequest) -> Any:
        """Perform the call and return the decoded JSON answer (None for an empty body).

        Raises `ApiError` on 4xx/5xx, `GatewayUnreachable` when no answer arrives.
        """
        try:
            response = self._http.request(
                request.method,
                build_url(self.base_url, request.path),
                content=request.encoded_body(),
                headers=request_headers(request, self.token),
            )
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise GatewayUnreachable(self.base_url, str(exc) or "connection failed") from exc
        except httpx.TimeoutException as exc:
            raise GatewayUnreachable(self.base_url, "no answer in time", connected=True) from exc
        except httpx.TransportError as exc:
            raise GatewayUnreachable(
                self.base_url, str(exc) or type(exc).__name__, connected=True
            ) from exc
        if response.is_error:
            raise error_from_response(response)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise BadAnswer(
                f"the gateway at {self.base_url} answered {response.status_code} "
                f"with a body that is not JSON"
            ) from exc

    def send_stream(self, request: ApiRequest) -> Iterator[bytes]:
        """Perform the call and yield the answer's bytes as they arrive (errors as for `send`)."""
        try:
            with self._http.stream(
                request.method,
                build_url(self.base_url, request.path),
                content=request.encoded_body(),
                headers=request_headers(request, self.token),
            ) as response:
                if response.is_error:
                    response.read()
                    raise error_from_response(response)
                yield from response.iter_bytes()
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise GatewayUnreachable(self.base_url, str(exc) or "connection failed") from exc
        except httpx.TransportError as exc:
            raise GatewayUnreachable(
                self.base_url, str(exc) or type(exc).__name__, connected=True
            ) from exc

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()

    def __enter__(self) -> GatewayClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
