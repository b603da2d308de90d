"""The HTTP edge both services share: one error body, one bearer check, bounded ids."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from dwsim_query.app import create_app as create_query_service
from dwsim_shared.settings import Settings

BIG = 2**31  # one past the state database's largest run id


def _shape(body: dict[str, object]) -> set[str]:
    return set(body) - {"details"}


def test_both_services_answer_errors_in_one_body(gateway, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    gw = gateway(api_token="t")
    with TestClient(create_query_service(Settings(home=tmp_path / "q", api_token="t"))) as qs:
        for client, path in ((gw, "/api/experiments"), (qs, "/query")):
            refused = client.post(path, json={}, headers={"Authorization": "Bearer wrong"})
            assert refused.status_code == 401
            assert refused.json()["error"] == "unauthorized"
            assert _shape(refused.json()) == {"error", "message"}
        auth = {"Authorization": "Bearer t"}
        invalid = qs.post("/query", json={"experiment": "x", "sql": ""}, headers=auth)
        assert invalid.status_code == 422
        assert invalid.json()["details"]["problems"][0]["path"] == "sql"
        bad_name = qs.post("/query", json={"experiment": "X;--", "sql": "select 1"}, headers=auth)
        assert bad_name.status_code == 422
        assert bad_name.json()["details"]["problems"][0]["path"] == "experiment"
        for client in (gw, qs):
            missing = client.get("/no/such/route", headers=auth)
            assert missing.status_code == 404 and missing.json()["error"] == "not_found"


DOCUMENT = {
    "name": "edge",
    "tables": [{"name": "t", "target_rows": 1, "columns": [{"name": "a", "data_type": "INT"}]}],
}


def test_run_ids_are_bounded_on_every_route(gateway) -> None:  # type: ignore[no-untyped-def]
    client = gateway()
    assert client.post("/api/experiments", json=DOCUMENT).status_code == 201
    for method, path in (
        ("GET", f"/api/experiments/edge/runs/{BIG}/shards"),
        ("GET", f"/api/experiments/edge/runs/{BIG}"),
        ("GET", f"/api/experiments/edge/runs/{BIG}/report"),
        ("POST", f"/api/experiments/edge/runs/{BIG}/cancel"),
        ("POST", f"/api/experiments/edge/runs/{BIG}/retry"),
        ("GET", f"/api/experiments/edge/lineage?run={BIG}"),
    ):
        answer = client.request(method, path)
        assert answer.status_code == 422, (path, answer.text)
        where = answer.json()["details"]["problems"][0]["path"]
        assert where in ("path.run_id", "query.run"), (path, where)
    answer = client.post("/api/experiments/edge/load", json={"run_id": BIG})
    assert answer.status_code == 422 and "run_id" in answer.text


def test_a_missing_run_is_one_404(gateway) -> None:  # type: ignore[no-untyped-def]
    client = gateway()
    assert client.post("/api/experiments", json=DOCUMENT).status_code == 201
    for method, path in (
        ("GET", "/api/experiments/edge/runs/7"),
        ("GET", "/api/experiments/edge/runs/7/shards"),
        ("GET", "/api/experiments/edge/runs/7/report"),
        ("POST", "/api/experiments/edge/runs/7/cancel"),
    ):
        answer = client.request(method, path)
        assert answer.status_code == 404, path
        assert answer.json()["message"] == "experiment 'edge' has no run 7", path
    assert client.get("/api/experiments/edgy/runs/1").json()["message"] == (
        "experiment 'edgy' does not exist (did you mean 'edge'?)"
    )
