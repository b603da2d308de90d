"""The validation report through the real stack on every back end: made by the loader for each
run, shown by the API and the CLI, recomputed on demand after the tables are broken by SQL."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg2

from dwsim_shared.settings import Settings
from dwsim_shared.warehouses import make_warehouse
from tests.conftest import LiveStack, unique_name

RETAIL_DDL = Path(__file__).resolve().parents[1] / "shared/tests/realism/retail_daily_sales.sql"


def dw_sim(live: LiveStack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dwsim_cli", "--url", live.url, *args],
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip


def execute(live: LiveStack, experiment: str, sql_for: str) -> None:
    """Writing SQL straight into the stack's warehouse (`{t:name}` is replaced by the table)."""
    options = {
        k.removeprefix("DWSIM_").lower(): v for k, v in live.env.items() if k.startswith("DWSIM_")
    }
    warehouse = make_warehouse(live.warehouse, Settings.model_validate(options))
    sql = sql_for
    for name in ("stores", "products", "daily_sales"):
        table = warehouse.physical_table(experiment, name).sql(dialect=warehouse.sqlglot_dialect)
        sql = sql.replace("{t:" + name + "}", table)
    if live.warehouse == "sqlite":
        with sqlite3.connect(warehouse.path(experiment)) as conn:  # type: ignore[attr-defined]
            conn.execute(sql)
    elif live.warehouse == "redshift":
        with psycopg2.connect(live.env["DWSIM_REDSHIFT_URL"]) as conn, conn.cursor() as cur:
            cur.execute(sql)
    else:
        with warehouse._cursor() as cur:  # type: ignore[attr-defined]
            cur.execute(sql)


def test_every_run_gets_a_report_that_recomputes_after_sql_breaks_it(live: LiveStack) -> None:
    name = unique_name("report")
    imported = live.client.post("/api/experiments/import-sql", json={
        "name": name, "sql": RETAIL_DDL.read_text(), "dialect": "redshift",
        "rows": {"stores": 40, "products": 60, "daily_sales": 6_000},
    })  # fmt: skip
    assert imported.status_code == 201, imported.text
    run_id = live.client.post(
        f"/api/experiments/{name}/generate", json={"shard_size": 2_500}
    ).json()["run_id"]
    run = live.wait_run(name, run_id)
    assert run["status"] == "COMPLETED", run
    assert run["verdict"].endswith("checks passed") and run["plan_digest"]

    report = live.client.get(f"/api/experiments/{name}/runs/{run_id}/report").json()
    assert report["failed"] == 0, [c for c in report["checks"] if not c["pass"]]
    # One scan per table; a fast check that could not decide adds its exact query (the
    # failure shows which one: each check without a proof or a sample ran exactly).
    assert report["queries"] == 3, report
    assert report["plan_digest"] == run["plan_digest"]
    checked = {(c["table"], c["check"]) for c in report["checks"]}
    assert {("daily_sales", "unique"), ("daily_sales", "foreign_key"), ("products", "unique"),
            ("daily_sales", "distribution"), ("stores", "length")} <= checked  # fmt: skip

    shown = dw_sim(live, "runs", "report", name, str(run_id))
    assert shown.returncode == 0, shown.stderr
    assert "checks passed" in shown.stdout and "FAIL" not in shown.stdout

    # Break it: a duplicated key and an orphaned foreign key, then ask again.
    execute(
        live, name, "INSERT INTO {t:daily_sales} SELECT * FROM {t:daily_sales} WHERE store_id = 1"
    )
    execute(
        live,
        name,
        "DELETE FROM {t:products} WHERE product_id IN (SELECT MIN(product_id) FROM {t:products})",
    )
    stale = live.client.get(f"/api/experiments/{name}/runs/{run_id}/report").json()
    assert stale["failed"] == 0  # stored: nothing recomputes behind the user's back
    recomputed = live.client.post(f"/api/experiments/{name}/runs/{run_id}/report")
    assert recomputed.status_code == 200, recomputed.text
    failed = {
        (c["table"], c["column"], c["check"]) for c in recomputed.json()["checks"] if not c["pass"]
    }
    assert failed == {
        ("daily_sales", None, "row_count"), ("daily_sales", None, "unique"),
        ("products", None, "row_count"), ("daily_sales", "product_id", "foreign_key"),
    }  # fmt: skip
    after = live.client.get(f"/api/experiments/{name}/runs/{run_id}").json()
    assert after["status"] == "COMPLETED_WITH_WARNINGS"
    assert after["verdict"].startswith("4 of ") and "daily_sales unique" in after["verdict"]

    cli = dw_sim(live, "runs", "report", name, str(run_id), "--recompute")
    assert cli.returncode == 3 and "FAIL" in cli.stdout, cli.stdout + cli.stderr

    missing = live.client.get(f"/api/experiments/{name}/runs/999999/report")
    assert missing.status_code == 404
