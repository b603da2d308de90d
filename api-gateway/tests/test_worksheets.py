"""Worksheets: autosaved by PUT (create or replace), listed oldest first, renamed, deleted,
and gone with their experiment."""

from __future__ import annotations

from .conftest import GatewayFactory, small_experiment


def test_worksheets_are_saved_renamed_and_deleted(gateway: GatewayFactory) -> None:
    client = gateway()
    assert client.post("/api/experiments", json=small_experiment("sheets")).status_code == 201
    base = "/api/experiments/sheets/worksheets"
    assert client.get(base).json() == {"worksheets": []}
    first = client.put(f"{base}/Worksheet 1", json={"sql": "SELECT 1;\nSELECT 2"})
    assert first.status_code == 200, first.text
    assert client.put(f"{base}/Worksheet 2", json={"sql": ""}).status_code == 200
    assert client.put(f"{base}/Worksheet 1", json={"sql": "SELECT 3"}).status_code == 200
    sheets = client.get(base).json()["worksheets"]
    assert [(s["name"], s["sql"]) for s in sheets] == [
        ("Worksheet 1", "SELECT 3"),
        ("Worksheet 2", ""),
    ]
    taken = client.put(f"{base}/Worksheet 2", json={"name": "Worksheet 1"})
    assert taken.status_code == 409 and "already has a worksheet" in taken.json()["message"]
    assert client.put(f"{base}/Worksheet 2", json={"name": "daily"}).json()["name"] == "daily"
    assert client.delete(f"{base}/daily").status_code == 204
    assert client.delete(f"{base}/daily").status_code == 404
    assert [s["name"] for s in client.get(base).json()["worksheets"]] == ["Worksheet 1"]
    assert client.put(f"{base}/bad%2Fname", json={"sql": ""}).status_code in (404, 422)
    # Deleting the experiment takes its worksheets along.
    assert client.delete("/api/experiments/sheets").status_code in (200, 204)
    assert client.post("/api/experiments", json=small_experiment("sheets")).status_code == 201
    assert client.get(base).json() == {"worksheets": []}
