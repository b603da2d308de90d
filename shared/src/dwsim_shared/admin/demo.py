"""`make demo`: start every service with the embedded defaults, run a scripted scenario, stop.

Everything goes through the public REST API, as a user (or `dw-sim`) would drive it.
"""

from __future__ import annotations

import json
import time
from importlib import resources
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from dwsim_shared.devstack import Stack

QUERIES = [
    (
        "Rows per table",
        "SELECT 'customers' AS table_name, COUNT(*) AS row_count FROM customers "
        "UNION ALL SELECT 'orders', COUNT(*) FROM orders "
        "UNION ALL SELECT 'order_items', COUNT(*) FROM order_items",
    ),
    (
        "Revenue by country (paid and shipped orders)",
        "SELECT c.country, COUNT(DISTINCT o.id) AS orders, ROUND(SUM(i.quantity * i.unit_price), 2) AS revenue "
        "FROM customers c JOIN orders o ON o.customer_id = c.id JOIN order_items i ON i.order_id = o.id "
        "WHERE o.status IN ('paid', 'shipped') GROUP BY c.country ORDER BY revenue DESC",
    ),
    (
        "Order lines without an order (referential integrity: expect 0)",
        "SELECT COUNT(*) AS orphans FROM order_items i LEFT JOIN orders o ON o.id = i.order_id "
        "WHERE o.id IS NULL",
    ),
]


def demo_experiment(total_rows: int) -> dict[str, Any]:
    document = json.loads(resources.files(__package__).joinpath("demo_shop.json").read_text())
    shares = {"customers": 0.1, "orders": 0.3, "order_items": 0.6}
    for table in document["tables"]:
        table["target_rows"] = max(1, round(total_rows * shares[table["name"]]))
    return document


def _check(answer: httpx.Response) -> dict[str, Any]:
    if answer.status_code >= 400:
        raise RuntimeError(
            f"{answer.request.method} {answer.request.url}: {answer.status_code} {answer.text}"
        )
    return answer.json() if answer.content else {}


def run_scenario(client: httpx.Client, console: Console, total_rows: int) -> bool:
    document = demo_experiment(total_rows)
    name = document["name"]
    if client.get(f"/api/experiments/{name}").status_code == 200:
        _check(client.delete(f"/api/experiments/{name}"))
    _check(client.post("/api/experiments", json=document))
    tables = ", ".join(f"{t['name']} ({t['target_rows']:,})" for t in document["tables"])
    console.print(f"[bold]created[/] experiment {name}: {tables}")
    console.print(f"$ dw-sim experiment generate {name} --wait")
    started = time.perf_counter()
    submitted = _check(client.post(f"/api/experiments/{name}/generate", json={}))
    run_url = submitted["links"]["run"]
    run: dict[str, Any] = {}
    last_line = ""
    while True:
        run = _check(client.get(run_url))
        totals = run["totals"]
        line = (
            f"run {run['run_id']} of {name}: {run['status']}  target={totals['target_rows']:,} "
            f"generated={totals['generated_rows']:,} loaded={totals['loaded_rows']:,}"
        )
        if line != last_line:
            console.print(f"  {line}")
            last_line = line
        if run["status"] in ("COMPLETED", "FAILED", "ABORTED"):
            break
        time.sleep(0.5)
    seconds = time.perf_counter() - started
    rows = run["totals"]["loaded_rows"]
    console.print(
        f"[bold]{line}[/]  ({seconds:.1f} s, {rows / max(seconds, 1e-9):,.0f} rows/s end to end)"
    )
    if run["status"] != "COMPLETED":
        console.print(f"[red]run failed:[/] {run['error']}")
        return False
    for title, sql in QUERIES:
        console.print(f'\n$ dw-sim query run {name} "{sql[:60]}..."')
        q_started = time.perf_counter()
        result = _check(client.post(f"/api/experiments/{name}/query", json={"sql": sql}))
        console.print(f"[bold]{title}[/] ({time.perf_counter() - q_started:.2f} s)")
        table = Table()
        for column in result["columns"]:
            table.add_column(column)
        for values in result["rows"]:
            table.add_row(*(f"{v:,}" if isinstance(v, int) else str(v) for v in values))
        console.print(table)
    console.print(f"\nParquet shards: {run['objects']}")
    return True


def run_demo(rows: int = 1_000_000) -> int:
    console = Console(width=120, soft_wrap=True)
    console.print(
        "[bold]DW Simulator demo[/]: embedded defaults (SQLite state, file broker, local objects, SQLite warehouse)"
    )
    started = time.perf_counter()
    with Stack(generator_workers=1, generator_concurrency=2) as stack:
        console.print(
            f"services up in {time.perf_counter() - started:.1f} s at {stack.url} (logs: {stack.log_dir})"
        )
        with httpx.Client(base_url=stack.url, timeout=60) as client:
            ok = run_scenario(client, console, rows)
    console.print(f"stopped; demo took {time.perf_counter() - started:.1f} s")
    return 0 if ok else 1
