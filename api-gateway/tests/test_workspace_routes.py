"""Workspace routes that need no query service: did-you-mean, warehouses, the document's tables,
saved queries' validation, and a query service that is down."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dwsim_gateway.main import create_app
from dwsim_shared.settings import Settings

DOC = {
    "name": "shop",
    "tables": [
        {"name": "customers", "target_rows": 100, "primary_key": ["id"],
         "columns": [{"name": "id", "data_type": "BIGINT"},
                     {"name": "email", "data_type": "VARCHAR(80)", "faker_rule": "email",
                      "inferred": ["faker_rule"]}]},
        {"name": "orders", "target_rows": 300,
         "columns": [{"name": "customer_id", "data_type": "BIGINT",
                      "foreign_key": {"references_table": "customers", "references_column": "id"}},
                     {"name": "line", "data_type": "INT", "min_value": 1, "max_value": 9},
                     {"name": "amount", "data_type": "FLOAT", "required": False,
                      "distribution": {"type": "normal", "parameters": {"mean": 50, "stddev": 5}}}],
         "composite_keys": [["customer_id", "line"]]},
    ],
}  # fmt: skip


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    # A query service nobody listens on: what needs it must answer 503 naming it.
    settings = Settings(home=tmp_path / "home", query_service_url="http://127.0.0.1:9")
    with TestClient(create_app(settings)) as client:
        assert client.post("/api/experiments", json=DOC).status_code == 201
        yield client


def test_unknown_experiment_suggests_the_close_name(client: TestClient) -> None:
    answer = client.get("/api/experiments/shp/tables")
    assert answer.status_code == 404
    assert answer.json()["message"] == "experiment 'shp' does not exist (did you mean 'shop'?)"
    assert "did you mean" not in client.get("/api/experiments/zzzzzz").json()["message"]


def test_every_warehouse_is_listed_with_what_it_needs(client: TestClient) -> None:
    answer = client.get("/api/warehouses").json()
    by_name = {w["name"]: w for w in answer["warehouses"]}
    assert set(by_name) == {"sqlite", "redshift", "snowflake"}
    assert by_name["sqlite"]["configured"] is True
    assert by_name["snowflake"] == {
        "name": "snowflake", "label": "Snowflake emulator", "configured": False,
        "needs": "DWSIM_SNOWFLAKE_ACCOUNT or _HOST",
    }  # fmt: skip
    assert answer["default"] == "sqlite"


def test_document_tables_describe_keys_links_and_rules(client: TestClient) -> None:
    answer = client.get("/api/experiments/shop/tables?source=document")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["run"] is None and body["source"] == "document"
    customers, orders = body["tables"]
    assert customers["row_count"] is None and customers["target_rows"] == 100
    email = customers["columns"][1]
    assert email["data_type"] == "VARCHAR" and email["nullable"] is False
    assert {"kind": "faker", "label": "faker email", "inferred": True} in email["rules"]
    columns = {c["name"]: c for c in orders["columns"]}
    assert columns["customer_id"]["key"] == "composite"
    assert columns["customer_id"]["foreign_key"] == {"table": "customers", "column": "id"}
    labels = [r["label"] for r in columns["amount"]["rules"]]
    assert "normal(mean=50, stddev=5)" in labels and "nulls 10%" in labels
    assert [r["label"] for r in columns["line"]["rules"]][-1] == "range 1..9"
    assert orders["composite_keys"] == [["customer_id", "line"]]
    assert orders["foreign_keys"] == [
        {"columns": ["customer_id"], "references_table": "customers", "references_columns": ["id"]}
    ]
    assert any("composite key" in n for n in body["notes"])
    assert not [n for n in body["notes"] if "(s)" in n], body[
        "notes"
    ]  # "1 composite key", not "(s)"
    assert any("inferred" in n for n in body["notes"])


def test_live_tables_without_a_run_need_no_query_service(client: TestClient) -> None:
    body = client.get("/api/experiments/shop/tables").json()
    assert body["run"] is None and all(t["row_count"] is None for t in body["tables"])


def test_preview_with_the_query_service_down_is_503_naming_it(client: TestClient) -> None:
    answer = client.get("/api/experiments/shop/tables/customers/preview")
    assert answer.status_code == 503
    assert answer.json()["details"]["component"] == "query service"
    query = client.post("/api/experiments/shop/query", json={"sql": "SELECT 1"})
    assert query.status_code == 503
    history = client.get("/api/experiments/shop/history").json()["entries"]
    assert history[0]["status"] == "error" and "query service" in history[0]["error"]


def test_saved_query_names_and_bodies_are_checked(client: TestClient) -> None:
    bad = client.post("/api/experiments/shop/queries", json={"name": "no spaces", "sql": "x"})
    assert bad.status_code == 422 and "name" in bad.json()["message"]
    empty = client.post("/api/experiments/shop/queries", json={"name": "q", "sql": ""})
    assert empty.status_code == 422
    assert (
        client.post(
            "/api/experiments/shop/queries", json={"name": "q", "sql": "SELECT 1"}
        ).status_code
        == 201
    )
    assert (
        client.post(
            "/api/experiments/shop/queries", json={"name": "r", "sql": "SELECT 2"}
        ).status_code
        == 201
    )
    clash = client.put("/api/experiments/shop/queries/r", json={"name": "q"})
    assert clash.status_code == 409 and "already has a saved query 'q'" in clash.json()["message"]
    assert client.get("/api/experiments/shop/queries/r").json()["sql"] == "SELECT 2"
    missing = client.delete("/api/experiments/shop/queries/qq")
    assert missing.status_code == 404 and "did you mean 'q'" in missing.json()["message"]
