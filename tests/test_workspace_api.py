"""The analyst's workspace through real processes on every back end: tables with row counts,
preview and profile computed in the warehouse, saved queries, history, and a run's shards."""

from __future__ import annotations

import csv
import decimal
import io
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LiveStack, unique_name

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"
ROWS = {"customers": 300, "orders": 900, "order_items": 1500}


@pytest.fixture(scope="module")
def shop(live: LiveStack) -> dict[str, Any]:
    """docs/examples/redshift_shop.sql imported, generated and loaded once per back end."""
    name = unique_name("ws")
    answer = live.client.post(
        "/api/experiments/import-sql",
        json={
            "name": name,
            "dialect": "redshift",
            "sql": (EXAMPLES / "redshift_shop.sql").read_text(),
            "rows": ROWS,
            "target_warehouse": live.warehouse,
        },
    )
    assert answer.status_code == 201, answer.text
    before = live.client.get(f"/api/experiments/{name}/tables")
    queued = live.client.post(
        f"/api/experiments/{name}/generate", json={"seed": 3, "shard_size": 500}
    )
    assert queued.status_code == 202, queued.text
    run = live.wait_run(name, queued.json()["run_id"])
    assert run["status"] == "COMPLETED", run
    return {"name": name, "run": run, "before": before.json()}


def test_tables_list_columns_keys_rules_counts_and_run(
    live: LiveStack, shop: dict[str, Any]
) -> None:
    assert shop["before"]["run"] is None
    assert all(t["row_count"] is None for t in shop["before"]["tables"])
    answer = live.client.get(f"/api/experiments/{shop['name']}/tables")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["run"]["run_id"] == shop["run"]["run_id"]
    assert body["warehouse"] == live.warehouse
    tables = {t["name"]: t for t in body["tables"]}
    assert {n: t["row_count"] for n, t in tables.items()} == ROWS
    columns = {c["name"]: c for c in tables["orders"]["columns"]}
    assert columns["order_id"]["key"] == "primary"
    assert columns["customer_id"]["foreign_key"] == {"table": "customers", "column": "customer_id"}
    assert columns["amount"]["source_type"] == "DECIMAL(12, 2)"
    assert columns["amount"]["data_type"] == "DECIMAL"
    assert columns["is_gift"]["nullable"] is True
    email = {c["name"]: c for c in tables["customers"]["columns"]}["email"]
    assert {"kind": "faker", "label": "faker email", "inferred": True} in email["rules"]
    items = tables["order_items"]
    assert items["composite_keys"] == [["order_id", "line_number"]]
    assert any("composite key (order_id, line_number)" in n for n in items["notes"])
    assert any("composite key" in n for n in body["notes"])


def test_preview_reads_the_warehouse(live: LiveStack, shop: dict[str, Any]) -> None:
    answer = live.client.get(f"/api/experiments/{shop['name']}/tables/customers/preview?limit=7")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["row_count"] == 7 and len(body["rows"]) == 7
    assert body["columns"][:2] == ["customer_id", "email"]
    assert all("@" in row[1] for row in body["rows"])
    default = live.client.get(f"/api/experiments/{shop['name']}/tables/orders/preview").json()
    assert default["row_count"] == 50


def test_profile_is_computed_in_the_warehouse(live: LiveStack, shop: dict[str, Any]) -> None:
    name = shop["name"]
    answer = live.client.get(f"/api/experiments/{name}/tables/orders/profile")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["row_count"] == ROWS["orders"]
    assert body["distinct_is_approximate"] is (live.warehouse == "snowflake")
    columns = {c["name"]: c for c in body["columns"]}
    # Compare with what plain SQL through the query pipeline says about the same data.
    truth = live.client.post(
        f"/api/experiments/{name}/query",
        json={"sql": "SELECT COUNT(DISTINCT customer_id), MIN(amount), MAX(amount), "
                     "SUM(CASE WHEN is_gift IS NULL THEN 1 ELSE 0 END) FROM orders"},
    ).json()["rows"][0]  # fmt: skip
    distinct, low, high, gift_nulls = truth
    customer = columns["customer_id"]
    if body["distinct_is_approximate"]:
        assert abs(customer["distinct_count"] - distinct) <= max(3, distinct * 0.05)
    else:
        assert customer["distinct_count"] == distinct
    assert customer["null_fraction"] == 0
    assert float(columns["amount"]["min"]) == pytest.approx(float(low))
    assert float(columns["amount"]["max"]) == pytest.approx(float(high))
    assert columns["is_gift"]["null_count"] == gift_nulls
    assert columns["is_gift"]["null_fraction"] == pytest.approx(gift_nulls / ROWS["orders"])
    status_top = columns["status"]["top_values"]
    assert 1 <= len(status_top) <= 5
    assert status_top == sorted(status_top, key=lambda v: (-v["count"], v["value"]))
    assert columns["order_id"]["top_values"] == []  # a key: every value as frequent as the next


def test_table_errors_name_what_is_wrong(live: LiveStack, shop: dict[str, Any]) -> None:
    name = shop["name"]
    missing = live.client.get(f"/api/experiments/{name}/tables/custmers/profile")
    assert missing.status_code == 404
    assert "did you mean 'customers'" in missing.json()["message"]
    too_many = live.client.get(f"/api/experiments/{name}/tables/customers/preview?limit=100000")
    assert too_many.status_code == 422
    assert "limit" in too_many.json()["message"]
    fresh = unique_name("empty")
    doc = {"name": fresh, "target_warehouse": live.warehouse,
           "tables": [{"name": "t", "columns": [{"name": "id", "data_type": "INT"}]}]}  # fmt: skip
    assert live.client.post("/api/experiments", json=doc).status_code == 201
    no_data = live.client.get(f"/api/experiments/{fresh}/tables/t/preview")
    assert no_data.status_code == 409
    assert "generate a run first" in no_data.json()["message"]
    assert live.client.get("/api/experiments/nope_x/tables").status_code == 404


def test_saved_queries_and_history(live: LiveStack, shop: dict[str, Any]) -> None:
    base = f"/api/experiments/{shop['name']}"
    sql = "SELECT status, COUNT(*) AS n FROM orders GROUP BY status ORDER BY status"
    saved = live.client.post(f"{base}/queries", json={"name": "by_status", "sql": sql})
    assert saved.status_code == 201, saved.text
    assert (
        live.client.post(f"{base}/queries", json={"name": "by_status", "sql": sql}).status_code
        == 409
    )
    assert [q["name"] for q in live.client.get(f"{base}/queries").json()["queries"]] == [
        "by_status"
    ]
    assert live.client.get(f"{base}/queries/by_status").json()["sql"] == sql

    ran = live.client.post(f"{base}/queries/by_status/run")
    assert ran.status_code == 200, ran.text
    assert sum(r[1] for r in ran.json()["rows"]) == ROWS["orders"]
    exported = live.client.post(f"{base}/queries/by_status/run", json={"format": "csv"})
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(exported.text)))
    assert lines[0] == ["status", "n"] and len(lines) == len(ran.json()["rows"]) + 1
    assert [c["name"] for c in ran.json()["column_types"]] == ["status", "n"]
    assert ran.json()["column_types"][1]["type"] == "bigint"  # Redshift's COUNT

    renamed = live.client.put(
        f"{base}/queries/by_status", json={"name": "statuses", "sql": sql + " DESC"}
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "statuses"
    gone = live.client.get(f"{base}/queries/by_status")
    assert gone.status_code == 404 and "did you mean 'statuses'" in gone.json()["message"]
    bad = live.client.post(f"{base}/query", json={"sql": "SELECT nope FROM orders"})
    assert bad.status_code == 400

    entries = live.client.get(f"{base}/history").json()["entries"]
    assert entries[0]["status"] == "error" and entries[0]["sql"] == "SELECT nope FROM orders"
    assert entries[0]["error"]
    assert entries[1]["saved_query"] == "by_status" and entries[1]["format"] == "csv"
    assert entries[2]["saved_query"] == "by_status" and entries[2]["row_count"] == len(
        ran.json()["rows"]
    )
    assert entries[2]["status"] == "ok" and entries[2]["duration_ms"] >= 0
    assert live.client.delete(f"{base}/queries/statuses").status_code == 204
    assert live.client.get(f"{base}/queries").json()["queries"] == []


def test_run_shards_and_parquet_objects(live: LiveStack, shop: dict[str, Any]) -> None:
    run_id = shop["run"]["run_id"]
    answer = live.client.get(f"/api/experiments/{shop['name']}/runs/{run_id}/shards")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    shards = body["shards"]
    # 500-row shards: 1 + 2 + 3 shards.
    assert len(shards) == 6
    assert all(s["status"] == "LOADED" and s["attempts"] >= 1 and s["worker"] for s in shards)
    assert sum(s["rows_loaded"] for s in shards) == sum(ROWS.values())
    assert len(body["objects"]) == 6
    assert all(
        o.endswith(".parquet") and f"run_{shop['run']['internal_id']}/" in o
        for o in body["objects"]
    )
    assert live.client.get(f"/api/experiments/{shop['name']}/runs/99999/shards").status_code == 404


def test_answers_are_named_and_typed_as_the_source(live: LiveStack, shop: dict[str, Any]) -> None:
    """Unnamed expressions are named as Redshift names them, in JSON and in CSV alike; booleans
    are booleans on every engine."""
    base = f"/api/experiments/{shop['name']}"
    unnamed = {"sql": "SELECT status, COUNT(*), COUNT(*) > 0 FROM orders GROUP BY status"}
    answer = live.client.post(f"{base}/query", json=unnamed).json()
    assert answer["columns"] == ["status", "count", "?column?"]
    assert [c["type"] for c in answer["column_types"]][1:] == ["bigint", "boolean"]
    assert answer["rows"] and all(row[2] is True for row in answer["rows"])
    exported = live.client.post(f"{base}/query", json={**unnamed, "format": "csv"})
    assert next(csv.reader(io.StringIO(exported.text))) == ["status", "count", "?column?"]

    # DECIMAL values exact (strings at their scale), sums exact to the cent, in answers and
    # in table previews alike.
    plain = live.client.post(f"{base}/query", json={"sql": "SELECT amount, is_gift FROM orders"})
    rows = plain.json()["rows"]
    assert len(rows) == ROWS["orders"]
    assert all(isinstance(a, str) and len(a.split(".")[1]) == 2 for a, _ in rows)
    assert all(isinstance(g, bool) or g is None for _, g in rows)
    summed = live.client.post(f"{base}/query", json={"sql": "SELECT SUM(amount) FROM orders"})
    assert summed.json()["rows"] == [[str(sum(decimal.Decimal(a) for a, _ in rows))]]
    assert summed.json()["column_types"] == [{"name": "sum", "type": "numeric(38,2)"}]
    preview = live.client.get(f"{base}/tables/orders/preview?limit=5").json()
    index = preview["columns"].index("amount")
    assert all(len(r[index].split(".")[1]) == 2 for r in preview["rows"])
