"""End to end through real processes: gateway -> broker -> generator -> object store -> loader
-> warehouse -> query service, on the embedded defaults and on the distributed servers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LiveStack, unique_name

pytestmark = pytest.mark.integration


def fk_chain(name: str, warehouse: str, customers: int, orders: int, items: int) -> dict[str, Any]:
    def key(table: str, rows: int, *extra: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": table,
            "target_rows": rows,
            "primary_key": ["id"],
            "columns": [{"name": "id", "data_type": "BIGINT"}, *extra],
        }

    def ref(column: str, table: str) -> dict[str, Any]:
        return {
            "name": column,
            "data_type": "BIGINT",
            "foreign_key": {"references_table": table, "references_column": "id"},
        }

    return {
        "name": name,
        "target_warehouse": warehouse,
        "seed": 7,
        "tables": [
            key(
                "customers",
                customers,
                {"name": "email", "data_type": "VARCHAR", "varchar_length": 80,
                 "faker_rule": "email", "is_unique": True},
                {"name": "signup_date", "data_type": "DATE", "date_start": "2020-01-01",
                 "date_end": "2024-12-31"},
                {"name": "vip", "data_type": "BOOLEAN", "required": False, "null_rate": 0.2},
            ),
            key(
                "orders",
                orders,
                ref("customer_id", "customers"),
                {"name": "amount", "data_type": "FLOAT", "min_value": 0, "max_value": 1000},
                {"name": "ordered_at", "data_type": "TIMESTAMP"},
                {"name": "status", "data_type": "VARCHAR", "varchar_length": 10,
                 "choices": ["new", "paid", "shipped"], "weights": [1, 2, 1]},
            ),
            key("order_items", items, ref("order_id", "orders"),
                {"name": "quantity", "data_type": "INT", "min_value": 1, "max_value": 9}),
        ],
    }  # fmt: skip


def query(live: LiveStack, experiment: str, sql: str) -> dict[str, Any]:
    answer = live.client.post(f"/api/experiments/{experiment}/query", json={"sql": sql})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_health_reports_every_component(live: LiveStack) -> None:
    answer = live.client.get("/health")
    assert answer.status_code == 200, answer.text
    components = answer.json()["components"]
    assert set(components) == {"state", "broker", "object_store", "query_service"}
    assert all(c["status"] == "ok" for c in components.values())


def test_generate_load_and_query_a_foreign_key_chain(live: LiveStack) -> None:
    name = unique_name("chain")
    document = fk_chain(name, live.warehouse, customers=5_000, orders=20_000, items=45_000)
    created = live.client.post("/api/experiments", json=document)
    assert created.status_code == 201, created.text
    assert created.json()["target_warehouse"] == live.warehouse

    submitted = live.client.post(f"/api/experiments/{name}/generate", json={"shard_size": 10_000})
    assert submitted.status_code == 202, submitted.text
    run_id = submitted.json()["run_id"]
    run = live.wait_run(name, run_id)

    assert run["status"] == "COMPLETED", run["error"]
    assert run["warehouse"] == live.warehouse
    expected = {"customers": 5_000, "orders": 20_000, "order_items": 45_000}
    for table, rows in expected.items():
        assert run["tables"][table]["target_rows"] == rows
        assert run["tables"][table]["generated_rows"] == rows
        assert run["tables"][table]["loaded_rows"] == rows
    assert run["tables"]["order_items"]["shards"] == 5

    counts = query(
        live, name,
        "SELECT 'customers' AS t, COUNT(*) AS n FROM customers UNION ALL "
        "SELECT 'orders', COUNT(*) FROM orders UNION ALL SELECT 'order_items', COUNT(*) FROM order_items",
    )  # fmt: skip
    assert {t: n for t, n in counts["rows"]} == expected

    orphans = query(
        live, name,
        "SELECT (SELECT COUNT(*) FROM orders o LEFT JOIN customers c ON c.id = o.customer_id "
        "WHERE c.id IS NULL) + (SELECT COUNT(*) FROM order_items i LEFT JOIN orders o "
        "ON o.id = i.order_id WHERE o.id IS NULL) AS orphans",
    )  # fmt: skip
    assert orphans["rows"] == [[0]]

    uniques = query(live, name, "SELECT COUNT(DISTINCT email), COUNT(DISTINCT id) FROM customers")
    assert uniques["rows"] == [[5_000, 5_000]]
    nulls = query(live, name, "SELECT COUNT(*) FROM customers WHERE vip IS NULL")["rows"][0][0]
    assert 800 <= nulls <= 1200  # null_rate 0.2 of 5,000

    runs = live.client.get(f"/api/experiments/{name}/runs").json()["runs"]
    assert [r["run_id"] for r in runs] == [run_id] == [1]  # numbered within the experiment
    assert run["objects"].endswith(f"experiments/{name}/")
    keys = live.object_keys(f"experiments/{name}/")
    assert len(keys) == 1 + 2 + 5  # one Parquet object per shard
    assert f"experiments/{name}/order_items/run_{run['internal_id']}/part-00004.parquet" in keys


def test_same_seed_gives_same_data_on_a_second_run(live: LiveStack) -> None:
    name = unique_name("seeded")
    document = fk_chain(name, live.warehouse, customers=300, orders=900, items=10)
    assert live.client.post("/api/experiments", json=document).status_code == 201
    checksums = []
    for shard_size in (1_000, 250):
        run_id = live.client.post(
            f"/api/experiments/{name}/generate", json={"seed": 99, "shard_size": shard_size}
        ).json()["run_id"]
        assert live.wait_run(name, run_id)["status"] == "COMPLETED"
        result = query(live, name, "SELECT SUM(customer_id), COUNT(*) FROM orders")
        emails = query(live, name, "SELECT MIN(email), MAX(email) FROM customers")
        checksums.append((result["rows"], emails["rows"]))
    # Keys are functions of the row index: the same in any sharding. (Other columns may
    # differ with the shard size; byte-identical shards for equal sizes are tested in shared.)
    assert checksums[0][1] == checksums[1][1]


def test_bad_requests_get_clear_errors(live: LiveStack) -> None:
    missing = live.client.get("/api/experiments/no_such_experiment")
    assert missing.status_code == 404
    assert "no_such_experiment" in missing.json()["message"]

    name = unique_name("dup")
    document = fk_chain(name, live.warehouse, 10, 10, 10)
    assert live.client.post("/api/experiments", json=document).status_code == 201
    duplicate = live.client.post("/api/experiments", json=document)
    assert duplicate.status_code == 409
    assert name in duplicate.json()["message"]

    broken = fk_chain(unique_name("bad"), live.warehouse, 10, 10, 10)
    broken["tables"][1]["columns"][2]["max_value"] = -5
    invalid = live.client.post("/api/experiments", json=broken)
    assert invalid.status_code == 422
    assert invalid.json()["details"]["problems"][0]["path"].startswith("tables[1].columns[2]")
    assert live.client.get(f"/api/experiments/{broken['name']}").status_code == 404

    not_json = live.client.post(
        "/api/experiments", content=b'{"name": ', headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 422
    assert "JSON" in not_json.json()["message"]

    unknown_table = live.client.post(
        f"/api/experiments/{name}/generate", json={"rows": {"nope": 5}}
    )
    assert unknown_table.status_code == 422
    assert "nope" in unknown_table.json()["message"]

    bad_sql = live.client.post(f"/api/experiments/{name}/query", json={"sql": "DELETE FROM orders"})
    assert bad_sql.status_code == 400
    not_yet = live.client.post(
        f"/api/experiments/{name}/query", json={"sql": "SELECT * FROM orders"}
    )
    assert not_yet.status_code == 409 and "generate a run first" in not_yet.json()["message"]
    unknown = live.client.post(f"/api/experiments/{name}/query", json={"sql": "SELECT * FROM nope"})
    assert unknown.status_code == 400
    assert "customers" in unknown.json()["message"]


def test_delete_removes_experiment_objects_and_data(live: LiveStack) -> None:
    name = unique_name("gone")
    assert (
        live.client.post(
            "/api/experiments", json=fk_chain(name, live.warehouse, 50, 50, 50)
        ).status_code
        == 201
    )
    run_id = live.client.post(f"/api/experiments/{name}/generate", json={}).json()["run_id"]
    assert live.wait_run(name, run_id)["status"] == "COMPLETED"
    assert live.client.delete(f"/api/experiments/{name}").status_code == 204
    assert live.client.get(f"/api/experiments/{name}").status_code == 404
    assert name not in [
        e["name"] for e in live.client.get("/api/experiments").json()["experiments"]
    ]


def dw_sim(
    live: LiveStack, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """The real CLI as a user runs it, against the live gateway."""
    return subprocess.run(
        [sys.executable, "-m", "dwsim_cli", "--url", live.url, *args],
        input=stdin, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_the_cli_drives_the_whole_flow(live: LiveStack, tmp_path: Path) -> None:
    name = unique_name("cli")
    document = json.dumps(fk_chain(name, live.warehouse, customers=400, orders=1_000, items=2_000))
    created = dw_sim(live, "experiment", "create", "-", stdin=document)
    assert created.returncode == 0, created.stderr
    assert name in dw_sim(live, "experiment", "list").stdout

    generated = dw_sim(live, "experiment", "generate", name, "--rows", "order_items=3000",
                       "--seed", "5", "--wait", "--timeout", "180")  # fmt: skip
    assert generated.returncode == 0, generated.stderr + generated.stdout
    assert "COMPLETED" in generated.stdout

    result = dw_sim(
        live, "query", "run", name, "SELECT COUNT(*) AS n FROM order_items", "--format", "json"
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [{"n": 3_000}]

    exported = tmp_path / "items.csv"
    export = dw_sim(
        live,
        "query",
        "export",
        name,
        "SELECT order_id, quantity FROM order_items ORDER BY order_id",
        "-o",
        str(exported),
    )
    assert export.returncode == 0, export.stderr
    lines = exported.read_text().splitlines()
    assert lines[0] == "order_id,quantity" and len(lines) == 1 + 3_000  # the whole result, no cap

    streamed = live.client.post(
        f"/api/experiments/{name}/query",
        json={"sql": "SELECT id FROM customers", "format": "csv", "limit": 7},
    )
    assert streamed.status_code == 200 and streamed.headers["content-type"].startswith("text/csv")
    assert streamed.text.splitlines()[0] == "id" and len(streamed.text.splitlines()) == 8
    bad_csv = live.client.post(
        f"/api/experiments/{name}/query",
        json={"sql": "SELECT nope FROM customers", "format": "csv"},
    )
    assert bad_csv.status_code == 400  # the statement runs before the stream starts

    runs = dw_sim(live, "--json", "runs", "list", name)
    assert json.loads(runs.stdout)["runs"][0]["tables"]["order_items"]["loaded_rows"] == 3_000

    curl = dw_sim(live, "--print-curl", "experiment", "generate", name, "--seed", "1")
    assert curl.returncode == 0 and curl.stdout.startswith("curl ")
    assert f"/api/experiments/{name}/generate" in curl.stdout

    missing = dw_sim(live, "experiment", "show", "nope_nope")
    assert missing.returncode == 1 and "does not exist" in missing.stderr


TPCH_DDL = Path(__file__).parents[1] / "shared/tests/ddl/corpus/redshift_tpch.sql"


def test_imported_tpch_ddl_keeps_composite_keys_unique_and_references_whole(
    live: LiveStack, tmp_path: Path
) -> None:
    name = unique_name("tpch")
    rows = {"region": 5, "nation": 25, "part": 2_000, "supplier": 100, "partsupp": 8_000,
            "customer": 1_500, "orders": 15_000, "lineitem": 60_000}  # fmt: skip
    imported = dw_sim(
        live, "experiment", "import-sql", str(TPCH_DDL), "--name", name, "--dialect", "redshift",
        "--target-warehouse", live.warehouse, "--seed", "11",
        "--rows", *(f"{table}={n}" for table, n in rows.items()),
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    generated = dw_sim(
        live, "experiment", "generate", name, "--shard-size", "25000", "--wait", "--timeout", "240"
    )
    assert generated.returncode == 0, generated.stderr + generated.stdout

    def scalar(sql: str) -> Any:
        return query(live, name, sql)["rows"][0][0]

    assert scalar("SELECT COUNT(*) FROM lineitem") == 60_000
    assert (
        scalar("SELECT COUNT(*) FROM (SELECT DISTINCT l_orderkey, l_linenumber FROM lineitem) k")
        == 60_000
    )
    assert (
        scalar("SELECT COUNT(*) FROM (SELECT DISTINCT ps_partkey, ps_suppkey FROM partsupp) k")
        == 8_000
    )
    broken_refs = (
        "SELECT COUNT(*) FROM lineitem l LEFT JOIN partsupp ps "
        "ON ps.ps_partkey = l.l_partkey AND ps.ps_suppkey = l.l_suppkey WHERE ps.ps_partkey IS NULL"
    )
    assert scalar(broken_refs) == 0
    assert (
        scalar(
            "SELECT COUNT(*) FROM lineitem l LEFT JOIN orders o ON o.o_orderkey = l.l_orderkey WHERE o.o_orderkey IS NULL"
        )
        == 0
    )
    assert (
        scalar(
            "SELECT COUNT(*) FROM nation n LEFT JOIN region r ON r.r_regionkey = n.n_regionkey WHERE r.r_regionkey IS NULL"
        )
        == 0
    )
