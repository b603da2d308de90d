"""`POST /api/experiments/{name}/sample` and `GET /api/rules`: rows from the rules at once, seeds
as strings, an unsaved document checked as validate checks it, bad input named by path."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import GatewayFactory

SHOP = json.loads((Path(__file__).resolve().parents[2] / "docs/examples/shop.json").read_text())


def test_sample_answers_rows_per_table_and_its_seed(gateway: GatewayFactory) -> None:
    client = gateway()
    assert client.post("/api/experiments", json={**SHOP, "name": "samp"}).status_code == 201
    answer = client.post("/api/experiments/samp/sample", json={"seed": "3520843874753897882"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["seed"] == "3520843874753897882"
    tables = {t["name"]: t for t in body["tables"]}
    assert set(tables) == {"customers", "orders", "order_items"}
    orders = tables["orders"]
    assert len(orders["rows"]) == 10
    assert [c["name"] for c in orders["columns"]][:2] == ["id", "customer_id"]
    assert orders["rows"][0][0] == 1  # the sequence's first value
    # The same seed answers the same rows; another seed others.
    again = client.post("/api/experiments/samp/sample", json={"seed": 3520843874753897882})
    assert again.json()["tables"] == body["tables"]
    other = client.post("/api/experiments/samp/sample", json={"seed": 1}).json()
    assert other["tables"] != body["tables"]
    # Without a seed: the experiment's own.
    assert client.post("/api/experiments/samp/sample").json()["seed"] == str(SHOP["seed"])
    small = client.post("/api/experiments/samp/sample", json={"limit": 2, "rows": {"orders": 1}})
    assert [len(t["rows"]) for t in small.json()["tables"]] == [2, 1, 2]


def test_sample_of_an_unsaved_document_and_its_errors(gateway: GatewayFactory) -> None:
    client = gateway()
    assert client.post("/api/experiments", json={**SHOP, "name": "samq"}).status_code == 201
    edited = json.loads(json.dumps({**SHOP, "name": "samq"}))
    tier = next(c for c in edited["tables"][0]["columns"] if c["name"] == "tier")
    tier["choices"], tier["weights"] = ["gold"], [1]
    body = client.post("/api/experiments/samq/sample", json={"experiment": edited}).json()
    customers = next(t for t in body["tables"] if t["name"] == "customers")
    at = [c["name"] for c in customers["columns"]].index("tier")
    assert {r[at] for r in customers["rows"]} == {"gold"}
    # Nothing was saved.
    stored = client.get("/api/experiments/samq").json()
    assert "gold" not in json.dumps(stored)
    # The API's own checks, with the path of what is wrong.
    tier["weights"] = [1, 2]
    bad = client.post("/api/experiments/samq/sample", json={"experiment": edited})
    assert bad.status_code == 422, bad.text
    assert "weights" in bad.text and "customers" in bad.text
    tier["weights"] = "x"
    bad = client.post("/api/experiments/samq/sample", json={"experiment": edited})
    assert bad.status_code == 422
    assert bad.json()["details"]["problems"][0]["path"].startswith("experiment.tables[0]")
    assert client.post("/api/experiments/samq/sample", json={"limit": 1000}).status_code == 422
    unknown = client.post("/api/experiments/samq/sample", json={"rows": {"nope": 1}})
    assert unknown.status_code == 422 and "nope" in unknown.json()["message"]
    assert client.post("/api/experiments/none_such/sample").status_code == 404


def test_rule_catalogue(gateway: GatewayFactory) -> None:
    client = gateway()
    body = client.get("/api/rules").json()
    kinds = {k["kind"]: k for k in body["kinds"]}
    assert kinds["choices"]["fields"] == ["choices"]
    assert body["distributions"]["normal"] == ["mean", "stddev"]
    faker = {f["name"]: f["provider"] for f in body["faker"]}
    assert faker["email"] == "internet" and faker["city"] == "address"
    assert "VARCHAR" in body["types"]
    assert client.get("/api/rules", params={"locale": "de_DE"}).json()["locale"] == "de_DE"
    assert client.get("/api/rules", params={"locale": "x;y"}).status_code == 422


def test_validate_report_answers_problems_as_200(gateway: GatewayFactory) -> None:
    client = gateway()
    document = json.loads(json.dumps({**SHOP, "name": "rep"}))
    document["tables"][0]["columns"][1]["faker_rule"] = "emial"
    strict = client.post("/api/experiments/validate", json=document)
    assert strict.status_code == 422
    answer = client.post("/api/experiments/validate?report=true", json=document)
    assert answer.status_code == 200
    body = answer.json()
    assert body["valid"] is False and "did you mean 'email'" in body["message"]
    assert body["problems"][0]["path"] == "tables[0].columns[1].faker_rule"
    document["tables"][0]["columns"][1]["faker_rule"] = "email"
    fixed = client.post("/api/experiments/validate?report=true", json=document).json()
    assert fixed["valid"] is True and fixed["experiment"]["name"] == "rep"
