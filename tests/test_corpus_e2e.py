"""The realism corpus end to end through the gateway, on every back end: the TPC-H DDL is
imported, generated with one seed and loaded by the real workers, and each corpus query runs
through `POST /query` and through the back end's wire endpoint (where it has one) in the back
end's own dialect (Snowflake SQL on the Snowflake back end, Redshift SQL on the others). Every
back end must answer what the first one answered (numbers within 0.01). That the Redshift and
Snowflake versions of each query agree on every engine is `query-service/tests/test_corpus.py`'s
(in process: the gateway prepares the same SQL the same way)."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Any

import psycopg2
import yaml

from dwsim_query.compat.cases import normalize, same
from tests.conftest import LiveStack, unique_name

ROOT = Path(__file__).parents[1]
DDL = ROOT / "shared/tests/ddl/corpus/redshift_tpch.sql"
CORPUS = ROOT / "query-service/tests/corpus"
ROWS = {"region": 5, "nation": 25, "supplier": 20, "part": 100, "partsupp": 400,
        "customer": 200, "orders": 500, "lineitem": 2000}  # fmt: skip
SEED = 20240
# query -> (back end, rows) of the first back end that ran it, for the next ones to match.
FIRST_ANSWERS: dict[str, tuple[str, list[list[Any]]]] = {}


NUMBER = re.compile(r"-?\d+(\.\d+)?([Ee][-+]?\d+)?")


def _plain(value: Any) -> Any:
    value = normalize(value)
    if isinstance(value, str) and NUMBER.fullmatch(value):
        return float(value)  # the gateway answers exact decimals as strings
    return value.rstrip() if isinstance(value, str) else value


def agree(a: list[list[Any]], b: list[list[Any]]) -> bool:
    key = lambda row: [str(_plain(v)) for v in row]  # noqa: E731
    if len(a) != len(b):
        return False
    return all(
        len(x) == len(y)
        and all(same(_plain(p), _plain(q), 0.01) for p, q in zip(x, y, strict=True))
        for x, y in zip(sorted(a, key=key), sorted(b, key=key), strict=True)
    )


def _generate(live: LiveStack, name: str) -> None:
    submitted = live.client.post(f"/api/experiments/{name}/generate", json={"seed": SEED})
    assert submitted.status_code == 202, submitted.text
    run = live.wait_run(name, submitted.json()["run_id"])
    assert run["status"] == "COMPLETED", run["error"]


def test_corpus_agrees_through_the_gateway(live: LiveStack) -> None:
    # The back end's own dialect: the one its wire endpoint speaks (the Redshift endpoint's on
    # the back ends without one of their own).
    dialect = "snowflake" if live.warehouse == "snowflake" else "redshift"
    name = unique_name("tpch_rs")
    imported = live.client.post(
        "/api/experiments/import-sql",
        json={"name": name, "sql": DDL.read_text(encoding="utf-8"), "dialect": "redshift",
              "rows": ROWS, "target_warehouse": live.warehouse},
    )  # fmt: skip
    assert imported.status_code == 201, imported.text
    if dialect == "snowflake":  # the same document, its queries in Snowflake SQL
        name = unique_name("tpch_sf")
        document = imported.json()["experiment"] | {"name": name, "source_dialect": dialect}
        assert live.client.post("/api/experiments", json=document).status_code == 201
    _generate(live, name)

    problems = []
    queries = [q for p in sorted(CORPUS.glob("*.yaml")) for q in yaml.safe_load(p.read_text())]
    endpoint = _endpoint(live, name)
    for query in queries:
        sql = query.get(dialect) or query["sql"]
        answer = live.client.post(f"/api/experiments/{name}/query", json={"sql": sql})
        if answer.status_code != 200:
            problems.append(
                f"{query['name']} ({dialect}): {answer.status_code} {answer.text[:300]}"
            )
            continue
        rows = answer.json()["rows"]
        if endpoint is not None:
            with contextlib.closing(endpoint.cursor()) as cur:
                cur.execute(sql)
                wire_rows = [list(r) for r in cur.fetchall()]
            if not agree(wire_rows, rows):
                problems.append(
                    f"{query['name']}: the {dialect} endpoint answered {wire_rows[:3]}..., "
                    f"the query API {rows[:3]}..."
                )
        # Both versions of a query answer alike (test_corpus.py): the back ends are compared
        # whatever dialect each ran.
        first = FIRST_ANSWERS.setdefault(query["name"], (live.backend, rows))
        if not agree(rows, first[1]):
            problems.append(
                f"{query['name']} ({dialect}) answered {rows[:3]}..., the {first[0]} back end "
                f"{first[1][:3]}..."
            )
    if endpoint is not None:
        endpoint.close()
    assert problems == [], "\n".join(problems)
    assert len(queries) >= 37


def _endpoint(live: LiveStack, name: str) -> Any:
    """A session through the stack's wire endpoint (psycopg2 on the Redshift endpoint,
    snowflake-connector-python on the Snowflake one), with the details the gateway gives; None
    on back ends without one (which the details must say)."""
    details = live.client.get(f"/api/experiments/{name}/connection").json()
    if live.warehouse == "snowflake":
        import snowflake.connector

        assert details["engine"] == "snowflake" and details["available"] is True
        return snowflake.connector.connect(
            account=details["account"], host=details["host"], port=details["port"],
            protocol=details["protocol"], user=details["user"], password=details["password"],
            database=details["database"], schema=details["schema"], login_timeout=10,
        )  # fmt: skip
    if live.warehouse != "redshift":
        assert details["available"] is False and "no wire endpoint" in details["message"]
        return None
    conn = psycopg2.connect(
        host=details["host"], port=details["port"], user=details["user"],
        password=details["password"], dbname=details["database"], sslmode="prefer",
        connect_timeout=10,
    )  # fmt: skip
    conn.autocommit = True
    return conn


REFUSALS = [
    ("SELECT pg_sleep(1)", "PG_SLEEP is not supported on the"),
    ("SELECT APPROXIMATE PERCENTILE_DISC(0.5) WITHIN GROUP (ORDER BY o_totalprice), "
     "my_udf(o_orderkey) FROM orders", "MY_UDF is not supported on the"),
    ("SELECT o_totl FROM orders", "unknown column 'o_totl'; columns of orders: o_clerk"),
    ("SELECT * FROM nope", "unknown table 'nope'; this experiment's tables: "),
    ("SELECT *\nFROM orders WHERE (", "SQL syntax error at line 2"),
    ("DELETE FROM orders", "only SELECT"),
    ("SELECT 1; SELECT 2", "exactly one statement"),
    ("SELECT " + "(" * 3000 + "1" + ")" * 3000, "the limit is 40"),
]  # fmt: skip


def _orders_ddl() -> str:
    """The corpus DDL's `orders` table alone: what the refusals below read (a run of it costs a
    fraction of the whole TPC-H schema's eight tables)."""
    ddl = DDL.read_text(encoding="utf-8")
    start = ddl.index("CREATE TABLE orders (")
    return ddl[start : ddl.index(";", start) + 1]


def test_refusals_through_the_gateway_are_plain_400s(live: LiveStack) -> None:
    name = unique_name("refusals")
    imported = live.client.post(
        "/api/experiments/import-sql",
        json={"name": name, "sql": _orders_ddl(), "dialect": "redshift",
              "rows": {"orders": 20}, "target_warehouse": live.warehouse},
    )  # fmt: skip
    assert imported.status_code == 201, imported.text
    _generate(live, name)
    for sql, expected in REFUSALS:
        answer = live.client.post(f"/api/experiments/{name}/query", json={"sql": sql})
        assert answer.status_code == 400, (sql, answer.text)
        message = answer.json()["message"]
        assert expected in message, (sql, message)
        assert not re.search(r"sqlglot|<class|psycopg2|Traceback", message), message
