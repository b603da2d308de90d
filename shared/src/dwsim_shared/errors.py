"""One exception hierarchy for the whole project, translated to HTTP in one place.

Foreign exceptions (SQLAlchemy, botocore, kombu, sqlglot, psycopg2) are turned
into these where they enter the project, so handlers never see them.
"""

from __future__ import annotations

from typing import Any


class DWSimError(Exception):
    """Base class: `status` is the HTTP status a service answers with."""

    status = 500
    code = "internal_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    @property
    def headers(self) -> dict[str, str]:
        """HTTP headers that go with the answer (Retry-After on a full pool or limit)."""
        return {}

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class NotFound(DWSimError):
    status = 404
    code = "not_found"


class Unauthorized(DWSimError):
    status = 401
    code = "unauthorized"


class Conflict(DWSimError):
    status = 409
    code = "conflict"


class InvalidInput(DWSimError):
    status = 422
    code = "invalid_input"


class BadRequest(DWSimError):
    status = 400
    code = "bad_request"


class QueryTooLarge(BadRequest):
    """A query stopped at a memory bound; the message names the limit and its setting."""

    code = "query_too_large"


class QueryTimeout(DWSimError):
    status = 504
    code = "query_timeout"


class DependencyUnavailable(DWSimError):
    """A service we depend on (state DB, broker, object store, warehouse) is down."""

    status = 503
    code = "dependency_unavailable"

    def __init__(self, component: str, message: str) -> None:
        super().__init__(f"{component} is unavailable: {message}", component=component)
        self.component = component


class Busy(DependencyUnavailable):
    """A bounded resource of a component (a connection pool, a connection limit) is full for
    now: 503 with Retry-After, naming the component."""

    code = "busy"

    def __init__(self, component: str, message: str, retry_after_s: int = 1) -> None:
        DWSimError.__init__(
            self, f"{component} is busy: {message}; retry in {retry_after_s} s",
            component=component, retry_after_s=retry_after_s,
        )  # fmt: skip
        self.component = component
        self.retry_after_s = retry_after_s

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_s)}


class TooManyRequests(DWSimError):
    """The caller's own limit is reached (e.g. concurrent queries on one experiment)."""

    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, retry_after_s: int = 1, **details: Any) -> None:
        super().__init__(message, retry_after_s=retry_after_s, **details)
        self.retry_after_s = retry_after_s

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_s)}


def error_text(error: BaseException, fallback: str = "no details given") -> str:
    """A foreign error as a user reads it: its own words, never its library's class name
    (the log and the traceback keep the type for whoever debugs it)."""
    if isinstance(error, DWSimError):
        return error.message
    return str(error).strip() or fallback
