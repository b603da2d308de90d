"""A state database that cannot be used answers 503 naming it; one whose server has no
connection slot left is busy for now, so its 503 carries Retry-After (as a full pool's)."""

from __future__ import annotations

import psycopg2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from dwsim_shared.errors import Busy, DependencyUnavailable
from dwsim_shared.http_edge import install_error_handlers
from dwsim_shared.state.db import state_errors


def _refused(text: str) -> OperationalError:
    """What SQLAlchemy raises when psycopg2 cannot connect with this server message."""
    return OperationalError("connect", {}, psycopg2.OperationalError(text))


FULL = (
    'connection to server at "127.0.0.1", port 5432 failed: FATAL:  sorry, too many clients already'
)
RESERVED = (
    "FATAL:  remaining connection slots are reserved for non-replication superuser connections"
)
DOWN = 'connection to server at "127.0.0.1", port 5432 failed: Connection refused'


@pytest.mark.parametrize("text", [FULL, RESERVED])
def test_a_full_server_is_busy(text: str) -> None:
    with pytest.raises(Busy) as raised, state_errors():
        raise _refused(text)
    assert raised.value.headers == {"Retry-After": "1"}
    assert raised.value.message.startswith("state database is busy")


def test_a_server_that_is_down_is_unavailable() -> None:
    with pytest.raises(DependencyUnavailable) as raised, state_errors():
        raise _refused(DOWN)
    assert not isinstance(raised.value, Busy)
    assert raised.value.message == f"state database is unavailable: {DOWN}"


def test_the_http_answers_tell_busy_from_down() -> None:
    app = FastAPI()
    install_error_handlers(app, "test service")

    @app.get("/{what}")
    def fail(what: str) -> None:
        raise _refused(FULL if what == "full" else DOWN)

    client = TestClient(app)
    full, down = client.get("/full"), client.get("/down")
    assert (full.status_code, down.status_code) == (503, 503)
    assert full.headers["Retry-After"] == "1" and full.json()["error"] == "busy"
    assert "Retry-After" not in down.headers
    assert down.json()["error"] == "dependency_unavailable"
    assert "OperationalError" not in full.text + down.text
