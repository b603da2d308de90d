"""EXPLAIN, profile histograms and paging past the row cap, through the gateway and the query
service against each engine: the plan as a tree (refused by name on the Snowflake emulator),
each numeric column's bins summing to its non-null rows, and pages that together are the
whole ordered answer."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import LiveStack, unique_name

pytestmark = pytest.mark.integration


def _experiment(name: str) -> dict[str, Any]:
    return {"name": name, "seed": 11, "tables": [
        {"name": "customers", "target_rows": 230, "primary_key": ["id"], "columns": [
            {"name": "id", "data_type": "BIGINT"},
            {"name": "tier", "data_type": "VARCHAR", "varchar_length": 8,
             "choices": ["free", "pro", "max"], "weights": [6, 3, 1]},
            {"name": "stars", "data_type": "INT", "min_value": 1, "max_value": 5},
            {"name": "spend", "data_type": "DECIMAL", "precision": 10, "scale": 2,
             "min_value": 0, "max_value": 1000, "null_rate": 0.1, "required": False}]},
    ]}  # fmt: skip


@pytest.fixture(scope="module")
def loaded(live: LiveStack) -> str:
    name = unique_name("xpl")
    assert live.client.post("/api/experiments", json=_experiment(name)).status_code == 201
    run = live.client.post(f"/api/experiments/{name}/generate", json={})
    assert run.status_code == 202, run.text
    assert live.wait_run(name, run.json()["run_id"])["status"].startswith("COMPLETED")
    return name


def _labels(nodes: list[dict[str, Any]]) -> list[str]:
    return [n["label"] for n in nodes] + [x for n in nodes for x in _labels(n["children"])]


def test_explain(live: LiveStack, loaded: str) -> None:
    sql = "SELECT tier, COUNT(*) FROM customers WHERE stars > 2 GROUP BY tier ORDER BY 2 DESC"
    answer = live.client.post(f"/api/experiments/{loaded}/explain", json={"sql": sql})
    if live.warehouse == "snowflake":
        assert answer.status_code == 400, answer.text
        assert answer.json()["message"].startswith("EXPLAIN is not available on the snowflake")
        return
    assert answer.status_code == 200, answer.text
    body = answer.json()
    labels = _labels(body["plan"])
    if live.warehouse == "sqlite":
        assert any(label.startswith("SCAN") and "customers" in label for label in labels), labels
        assert any("ORDER BY" in label for label in labels), labels
    else:
        assert any(label.startswith("Seq Scan on") and "customers" in label for label in labels)
        assert {"Sort", "HashAggregate"} & set(labels) or any("Aggregate" in x for x in labels)
        assert any("Filter: " in d for n in body["plan"] for d in _all_details(n))
    assert body["text"].splitlines()[0] == body["plan"][0]["label"]
    # The statement is checked as a query is: a write is refused before any engine sees it.
    refused = live.client.post(
        f"/api/experiments/{loaded}/explain", json={"sql": "DELETE FROM customers"}
    )
    assert refused.status_code == 400 and "DELETE" in refused.json()["message"]
    blank = live.client.post(f"/api/experiments/{loaded}/explain", json={"sql": " "})
    assert blank.status_code == 422


def _all_details(node: dict[str, Any]) -> list[str]:
    return list(node["details"]) + [d for c in node["children"] for d in _all_details(c)]


def test_profile_histograms(live: LiveStack, loaded: str) -> None:
    profile = live.client.get(f"/api/experiments/{loaded}/tables/customers/profile").json()
    columns = {c["name"]: c for c in profile["columns"]}
    stars = columns["stars"]["histogram"]
    assert [(b["low"], b["high"]) for b in stars] == [(v - 0.5, v + 0.5) for v in range(1, 6)]
    assert sum(b["count"] for b in stars) == 230
    spend = columns["spend"]
    assert len(spend["histogram"]) == 10
    assert sum(b["count"] for b in spend["histogram"]) == 230 - spend["null_count"]
    assert spend["histogram"][0]["low"] == float(spend["min"])
    assert spend["histogram"][-1]["high"] == float(spend["max"])
    assert "histogram" not in columns["tier"] or columns["tier"]["histogram"] is None
    assert columns["tier"]["top_values"][0]["value"] == "free"


def test_paging_past_the_row_cap(live: LiveStack, loaded: str) -> None:
    sql = "SELECT id, tier FROM customers ORDER BY id"
    url = f"/api/experiments/{loaded}/query"
    whole = live.client.post(url, json={"sql": sql, "limit": 1000}).json()
    assert whole["row_count"] == 230 and not whole["truncated"]
    pages, offset = [], 0
    while True:
        page = live.client.post(url, json={"sql": sql, "limit": 100, "offset": offset}).json()
        assert page["offset"] == offset
        pages.extend(page["rows"])
        offset += page["row_count"]
        if not page["truncated"]:
            break
    assert pages == whole["rows"] and offset == 230
    last = live.client.post(url, json={"sql": sql, "limit": 100, "offset": 200}).json()
    assert [r[0] for r in last["rows"]] == list(range(201, 231)) and not last["truncated"]
    past = live.client.post(url, json={"sql": sql, "offset": 5000}).json()
    assert past["rows"] == [] and not past["truncated"]
    assert live.client.post(url, json={"sql": sql, "offset": -1}).status_code == 422


def test_function_catalogue_for_the_editor(live: LiveStack, loaded: str) -> None:
    answer = live.client.get(f"/api/experiments/{loaded}/functions")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["dialect"] == "redshift" and body["catalogued"]
    functions = {f["name"]: f for f in body["functions"]}
    assert len(functions) > 100
    rounding = functions["ROUND"]
    assert rounding["signature"] == "ROUND(x1[, x2])" and rounding["supported"]
    assert rounding["doc"].startswith("https://docs.aws.amazon.com/redshift/")
    iff = functions["IFF"]
    assert not iff["in_dialect"] and not iff["supported"]
    assert (
        iff["status"]
        == "Snowflake SQL, refused in Redshift SQL; use CASE WHEN ... THEN ... ELSE ... END"
    )
    months = functions["MONTHS_BETWEEN"]
    assert not months["supported"] and months["status"].startswith("refused on the ")
    age = functions["AGE"]  # in the vendor's reference, refused by the simulator: says why
    assert not age["in_dialect"] and age["refused"]
    assert age["status"].startswith("AGE (Redshift SQL) is not supported by the simulator: ")
    sha1 = functions["SHA1"]
    assert sha1["supported"] == (live.warehouse != "redshift"), sha1
    assert live.client.get("/api/experiments/none_such/functions").status_code == 404
