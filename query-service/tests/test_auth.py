"""Service-to-service auth: with a token set, the query service answers only callers carrying it,
and the gateway sends it. Tokens are compared in constant time on both sides."""

from __future__ import annotations

import hmac
import sys
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from dwsim_gateway.main import create_app as create_gateway
from dwsim_query.app import create_app
from dwsim_shared import http_edge
from dwsim_shared.settings import Settings
from dwsim_shared.testing.pipeline import embedded_runtime
from dwsim_shared.testing.servers import free_port, server_process

BODY = {"experiment": "nothing_here", "sql": "SELECT 1"}


@pytest.fixture(autouse=True)
def _state(tmp_path: Path) -> None:
    embedded_runtime(tmp_path).close()  # the state DB the query service reads, migrated


def test_query_service_refuses_calls_without_the_token(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, api_token="s3cret")
    with TestClient(create_app(settings)) as client:
        assert client.post("/query", json=BODY).status_code == 401
        wrong = client.post("/query", json=BODY, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and "token" in wrong.json()["message"]
        right = client.post("/query", json=BODY, headers={"Authorization": "Bearer s3cret"})
        assert right.status_code == 404  # past the check: the experiment does not exist
        health = client.get("/health")
        assert health.status_code == 200 and "s3cret" not in health.text


def test_internal_token_takes_precedence_and_no_token_means_open(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, api_token="outer", internal_token="inner")
    with TestClient(create_app(settings)) as client:
        outer = client.post("/query", json=BODY, headers={"Authorization": "Bearer outer"})
        assert outer.status_code == 401
        inner = client.post("/query", json=BODY, headers={"Authorization": "Bearer inner"})
        assert inner.status_code == 404
    with TestClient(create_app(Settings(home=tmp_path))) as client:
        assert client.post("/query", json=BODY).status_code == 404


def test_tokens_are_compared_in_constant_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[bytes, bytes]] = []
    original = hmac.compare_digest

    def recording(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return original(a, b)

    # Both services check the bearer token in one place: the shared HTTP edge.
    monkeypatch.setattr(http_edge.hmac, "compare_digest", recording)
    with TestClient(create_app(Settings(home=tmp_path, api_token="t"))) as client:
        client.post("/query", json=BODY, headers={"Authorization": "Bearer x"})
    assert calls == [(b"Bearer x", b"Bearer t")]
    calls.clear()
    gateway = create_gateway(Settings(home=tmp_path / "gw", api_token="t"))
    with TestClient(gateway) as client:
        assert (
            client.get("/api/experiments", headers={"Authorization": "Bearer y"}).status_code == 401
        )
    assert calls == [(b"Bearer y", b"Bearer t")]


def test_gateway_sends_the_token_to_a_real_query_service(tmp_path: Path) -> None:
    port = free_port()
    env = {"DWSIM_HOME": str(tmp_path), "DWSIM_INTERNAL_TOKEN": "inner", "PATH": "/usr/bin:/bin"}
    argv = [sys.executable, "-m", "uvicorn", "dwsim_query.app:create_app", "--factory",
            "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
    with server_process(argv, port, "query service", env=env):
        url = f"http://127.0.0.1:{port}"
        assert httpx.post(f"{url}/query", json=BODY).status_code == 401
        assert httpx.get(f"{url}/health").status_code == 200
        settings = Settings(
            home=tmp_path, api_token="outer", internal_token="inner", query_service_url=url
        )
        with TestClient(create_gateway(settings)) as gateway:
            auth_header = {"Authorization": "Bearer outer"}
            document = {"name": "authed", "tables": [{"name": "t", "target_rows": 1,
                        "columns": [{"name": "id", "data_type": "INT"}]}]}  # fmt: skip
            assert (
                gateway.post("/api/experiments", json=document, headers=auth_header).status_code
                == 201
            )
            answer = gateway.post(
                "/api/experiments/authed/query", json={"sql": "SELECT id FROM t"},
                headers=auth_header,
            )  # fmt: skip
            assert answer.status_code == 409, answer.text  # the query service ran the check
            assert "no data yet" in answer.json()["message"]


def test_health_stays_open_and_shows_no_passwords(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there: the components fail, with their URLs in the errors
    settings = Settings(
        home=tmp_path, api_token="outer", broker_url=f"redis://:hunter2@127.0.0.1:{port}/0",
        query_service_url=f"http://user:hunter2@127.0.0.1:{port}", dependency_timeout_s=1,
    )  # fmt: skip
    with TestClient(create_gateway(settings)) as gateway:
        health = gateway.get("/health")
    assert health.status_code == 503
    assert "hunter2" not in health.text and "outer" not in health.text
    assert health.json()["components"]["broker"]["status"] == "unavailable"
