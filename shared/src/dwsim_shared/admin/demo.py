"""`make demo`: start every service with the embedded defaults, run a scripted scenario, stop.

Everything goes through the public REST API, as a user (or `dw-sim`) would drive it.
"""

from __future__ import annotations

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
        "Revenue by country, shipped and delivered orders (Redshift SQL, run on the engine)",
        "SELECT c.country_code, COUNT(DISTINCT o.order_id) AS orders, "
        "ROUND(SUM(i.quantity * i.unit_price), 2) AS revenue "
        "FROM customers c JOIN orders o ON o.customer_id = c.customer_id "
        "JOIN order_items i ON i.order_id = o.order_id "
        "WHERE o.status IN ('shipped', 'delivered') "
        "GROUP BY c.country_code ORDER BY revenue DESC LIMIT 5",
    ),
    (
        "Orders per month of 2024 (DATE_TRUNC, NVL)",
        "SELECT DATE_TRUNC('month', ordered_at) AS month, COUNT(*) AS orders, "
        "SUM(CASE WHEN NVL(is_gift, FALSE) THEN 1 ELSE 0 END) AS gifts "
        "FROM orders WHERE EXTRACT(year FROM ordered_at) = 2024 GROUP BY 1 ORDER BY 1 LIMIT 4",
    ),
    (
        "Order lines without an order (referential integrity: expect 0)",
        "SELECT COUNT(*) AS orphans FROM order_items i LEFT JOIN orders o ON o.order_id = i.order_id "
        "WHERE o.order_id IS NULL",
    ),
]
SHARES = {"customers": 0.1, "orders": 0.3, "order_items": 0.6}


def demo_ports() -> tuple[int, int]:
    """The gateway and query service ports `DWSIM_GATEWAY_PORT` / `DWSIM_QUERY_SERVICE_PORT` ask
    for; 0 (a free port) for one not set, so a demo never collides with a gateway on 8000."""
    from dwsim_shared.settings import get_settings

    settings = get_settings()
    chosen = settings.model_fields_set
    return (
        settings.gateway_port if "gateway_port" in chosen else 0,
        settings.query_service_port if "query_service_port" in chosen else 0,
    )


def demo_ddl() -> str:
    return resources.files(__package__).joinpath("demo_shop.sql").read_text()


def shown(value: Any) -> str:
    """A result value as the table shows it: thousands separators, two decimals for every
    fraction (905988.0 beside 939183.97 read as different precisions)."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def _check(answer: httpx.Response) -> dict[str, Any]:
    if answer.status_code >= 400:
        raise RuntimeError(
            f"{answer.request.method} {answer.request.url}: {answer.status_code} {answer.text}"
        )
    return answer.json() if answer.content else {}


def run_scenario(client: httpx.Client, console: Console, total_rows: int) -> bool:
    name = "demo_shop"
    if client.get(f"/api/experiments/{name}").status_code == 200:
        _check(client.delete(f"/api/experiments/{name}"))
    rows = {table: max(1, round(total_rows * share)) for table, share in SHARES.items()}
    console.print(f"$ dw-sim experiment import-sql demo_shop.sql --name {name} --dialect redshift")
    imported = _check(client.post("/api/experiments/import-sql", json={
        "name": name, "sql": demo_ddl(), "dialect": "redshift", "rows": rows,
        "target_warehouse": "sqlite", "seed": 20261121,
    }))  # fmt: skip
    for warning in imported["warnings"]:
        console.print(f"  [yellow]warning:[/] {warning}")
    for table in imported["experiment"]["tables"]:
        keys = ", ".join(table.get("primary_key", []))
        console.print(f"  [bold]{table['name']}[/] {table['target_rows']:,} rows, key ({keys})")
        for col in table["columns"]:
            if col.get("inferred"):
                rule = ", ".join(f"{f}={col[f]}" for f in col["inferred"])
                console.print(f"    {col['name']}: {rule} (inferred)")
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
        if run["status"] in ("COMPLETED", "COMPLETED_WITH_WARNINGS", "FAILED", "ABORTED"):
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
            table.add_row(*(shown(v) for v in values))
        console.print(table)
    console.print(f"\nParquet shards: {run['objects']}")
    return True


def run_demo(rows: int = 1_000_000) -> int:
    console = Console(width=120, soft_wrap=True)
    console.print(
        "[bold]DW Simulator demo[/]: embedded defaults (SQLite state, file broker, local objects, SQLite warehouse)"
    )
    started = time.perf_counter()
    gateway_port, query_port = demo_ports()
    stack = Stack(
        generator_workers=1,
        generator_concurrency=2,
        gateway_port=gateway_port,
        query_port=query_port,
    )
    with stack:
        console.print(
            f"services up in {time.perf_counter() - started:.1f} s at {stack.url} (logs: {stack.log_dir})"
        )
        console.print(f"(dw-sim reaches it with DWSIM_URL={stack.url}; web UI at {stack.url}/ui/)")
        with httpx.Client(base_url=stack.url, timeout=60) as client:
            try:
                ok = run_scenario(client, console, rows)
            finally:
                # The demo's experiment must not greet the user's first `make up` (same DWSIM_HOME).
                client.delete("/api/experiments/demo_shop")
                console.print("removed the demo's experiment and its data")
    console.print(f"stopped; demo took {time.perf_counter() - started:.1f} s")
    return 0 if ok else 1
