"""The worksheet's SQL helpers: split a script (in the experiment's dialect), pretty-print it;
and the plain sentence an empty statement gets."""

from __future__ import annotations

from typing import Any

from .conftest import GatewayFactory, small_experiment


def test_split_keeps_semicolons_inside_strings_and_says_where_each_starts(
    gateway: GatewayFactory,
) -> None:
    client = gateway()
    assert client.post("/api/experiments", json=small_experiment("split")).status_code == 201
    script = "-- first\nSELECT 'a;b' AS x;\n\n  SELECT 2 ; /* trailing */ "
    answer = client.post("/api/experiments/split/sql/statements", json={"sql": script})
    assert answer.status_code == 200, answer.text
    statements = answer.json()["statements"]
    assert [s["sql"] for s in statements] == ["SELECT 'a;b' AS x", "SELECT 2"]
    assert [(s["line"], s["column"]) for s in statements] == [(2, 1), (4, 3)]
    assert all(script[s["start"] : s["end"]] == s["sql"] for s in statements)
    empty = client.post("/api/experiments/split/sql/statements", json={"sql": " ;; -- x"})
    assert empty.json()["statements"] == []


def test_format_pretty_prints_in_the_dialect_and_points_at_a_syntax_error(
    gateway: GatewayFactory,
) -> None:
    client = gateway()
    assert client.post("/api/experiments", json=small_experiment("fmt")).status_code == 201
    answer = client.post(
        "/api/experiments/fmt/sql/format", json={"sql": "select a,count(*) from t group by a"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["sql"] == "SELECT\n  a,\n  COUNT(*)\nFROM t\nGROUP BY\n  a"
    bad = client.post("/api/experiments/fmt/sql/format", json={"sql": "SELECT (1 FROM t"})
    assert bad.status_code == 400
    body = bad.json()
    assert "does not parse" in body["message"] and body["details"]["line"] == 1
    assert body["details"]["near"] == "FROM"


def test_empty_sql_is_one_plain_sentence(gateway: GatewayFactory) -> None:
    client = gateway()
    assert client.post("/api/experiments", json=small_experiment("blank")).status_code == 201
    answer = client.post("/api/experiments/blank/query", json={"sql": "  \n"})
    assert answer.status_code == 422
    body = answer.json()
    assert body["message"] == "sql: the SQL is empty: write a statement to run"
    assert "at least" not in body["message"]


def test_show_ddl_gives_back_the_imported_tables(gateway: GatewayFactory) -> None:
    from pathlib import Path

    from dwsim_shared.ddl import import_ddl

    client = gateway()
    source = (
        Path(__file__).resolve().parents[2] / "docs/examples/snowflake_events.sql"
    ).read_text()
    body = {"name": "ddlback", "sql": source, "dialect": "snowflake"}
    assert client.post("/api/experiments/import-sql", json=body).status_code == 201
    answer = client.get("/api/experiments/ddlback/ddl")
    assert answer.status_code == 200, answer.text
    assert answer.json()["dialect"] == "snowflake"
    ddl = answer.json()["ddl"]
    assert "TIMESTAMP_NTZ NOT NULL" in ddl and "REFERENCES accounts (account_id)" in ddl

    def shape(tables: list[Any]) -> list[Any]:
        return [(t.name, t.primary_key, [(c.name, c.source_type, c.nullable, c.foreign_key)
                 for c in t.columns]) for t in tables]  # fmt: skip

    original = import_ddl(source, "snowflake", name="a").experiment.tables
    again = import_ddl(ddl, "snowflake", name="a").experiment.tables
    assert shape(again) == shape(original)
