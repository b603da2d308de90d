"""The analyst's commands against a fake gateway: tables, preview, profile, saved queries,
history, `query run --saved/--output`, `--version`, and `--print-curl` for each."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from dwsim_cli.main import main

if TYPE_CHECKING:
    from .conftest import FakeGateway, Result

RunCli = Callable[..., "Result"]

TABLES = {
    "experiment": "shop",
    "source": "live",
    "source_dialect": "redshift",
    "warehouse": "sqlite",
    "run": {"run_id": 3, "status": "COMPLETED", "warehouse": "sqlite", "finished_at": None},
    "notes": [],
    "tables": [
        {
            "name": "orders",
            "target_rows": 5000,
            "row_count": 5000,
            "primary_key": ["order_id"],
            "composite_keys": [],
            "foreign_keys": [],
            "notes": ["rules inferred by the DDL import on: status"],
            "columns": [
                {"name": "order_id", "data_type": "BIGINT", "source_type": "BIGINT",
                 "nullable": False, "key": "primary", "foreign_key": None, "null_rate": 0,
                 "rules": [{"kind": "key", "label": "primary key", "inferred": False}]},
                {"name": "customer_id", "data_type": "BIGINT", "source_type": None,
                 "nullable": False, "key": None,
                 "foreign_key": {"table": "customers", "column": "id"}, "null_rate": 0,
                 "rules": []},
                {"name": "status", "data_type": "VARCHAR", "source_type": "VARCHAR(20)",
                 "nullable": True, "key": None, "foreign_key": None, "null_rate": 0.1,
                 "rules": [{"kind": "choices", "label": "choices new, paid", "inferred": True}]},
            ],
        }
    ],
}  # fmt: skip
PROFILE = {
    "experiment": "shop",
    "table": "orders",
    "warehouse": "snowflake",
    "row_count": 12345,
    "distinct_is_approximate": True,
    "engine_sql": "WITH s AS (...)",
    "columns": [
        {"name": "status", "data_type": "VARCHAR", "null_fraction": 0.1, "null_count": 1234,
         "distinct_count": 4321, "min": "new", "max": "paid",
         "top_values": [{"value": "paid", "count": 6000}, {"value": "new", "count": 5111}]},
    ],
}  # fmt: skip
ROWS = {"columns": ["status", "n"], "rows": [["new", 2], ["paid", 3]], "row_count": 2,
        "truncated": False, "engine_sql": "SELECT 1"}  # fmt: skip


def test_experiment_tables_shows_columns_keys_rules_and_counts(
    gateway: FakeGateway, run_cli: RunCli
) -> None:
    gateway.on("GET", "/api/experiments/shop/tables", httpx.Response(200, json=TABLES))
    result = run_cli("experiment", "tables", "shop")
    assert result.code == 0, result.err
    assert "shop: data of run 3 (COMPLETED) in sqlite" in result.out
    assert "orders  (5,000 rows; target 5,000)" in result.out
    assert "customers.id" in result.out and "primary" in result.out
    assert "choices new, paid (inferred)" in result.out
    assert "note: rules inferred by the DDL import on: status" in result.out
    assert json.loads(run_cli("experiment", "tables", "shop", "--json").out) == TABLES


def test_table_preview_sends_the_limit_and_prints_rows(
    gateway: FakeGateway, run_cli: RunCli
) -> None:
    answer = {**ROWS, "experiment": "shop", "table": "orders", "limit": 2}
    gateway.on(
        "GET",
        "/api/experiments/shop/tables/orders/preview?limit=2",
        httpx.Response(200, json=answer),
    )
    result = run_cli("table", "preview", "shop", "orders", "--limit", "2")
    assert result.code == 0, result.err
    assert gateway.requests[0].url.query == b"limit=2"
    assert "paid" in result.out and result.out.endswith("first 2 rows of orders\n")


def test_table_profile_marks_approximate_distinct_counts(
    gateway: FakeGateway, run_cli: RunCli
) -> None:
    gateway.on(
        "GET", "/api/experiments/shop/tables/orders/profile", httpx.Response(200, json=PROFILE)
    )
    result = run_cli("table", "profile", "shop", "orders")
    assert result.code == 0, result.err
    assert "10.0%" in result.out and "~4,321" in result.out
    assert "paid (6,000), new (5,111)" in result.out
    assert "12,345 rows in snowflake; distinct counts are approximate (~)" in result.out


def test_unknown_table_message_with_its_suggestion_goes_to_stderr(
    gateway: FakeGateway, run_cli: RunCli
) -> None:
    body = {"error": "not_found", "message": "experiment 'shop' has no table 'ordrs' (did you "
            "mean 'orders'?); tables: orders", "details": {"table": "ordrs"}}  # fmt: skip
    gateway.on("GET", "/api/experiments/shop/tables/ordrs/profile", httpx.Response(404, json=body))
    result = run_cli("table", "profile", "shop", "ordrs")
    assert result.code == 1
    assert "did you mean 'orders'?" in result.err


def test_query_save_from_argument_file_or_neither(
    gateway: FakeGateway, run_cli: RunCli, tmp_path: Path
) -> None:
    saved = {"name": "q", "sql": "SELECT 1", "created_at": "t", "updated_at": "t"}
    gateway.on("POST", "/api/experiments/shop/queries", httpx.Response(201, json=saved))
    result = run_cli("query", "save", "shop", "q", "SELECT 1")
    assert result.code == 0 and result.out == "saved query q of shop\n"
    assert gateway.body() == {"name": "q", "sql": "SELECT 1"}
    sql_file = tmp_path / "q.sql"
    sql_file.write_text("SELECT *\nFROM orders\n")
    assert run_cli("query", "save", "shop", "q", "--file", str(sql_file)).code == 0
    assert gateway.body() == {"name": "q", "sql": "SELECT *\nFROM orders\n"}
    neither = run_cli("query", "save", "shop", "q")
    assert neither.code == 1 and "either as an argument or with --file" in neither.err
    assert len(gateway.requests) == 2


def test_query_list_show_delete(gateway: FakeGateway, run_cli: RunCli) -> None:
    q = {"name": "by_status", "sql": "SELECT status\nFROM orders", "created_at": "t",
         "updated_at": "2024-05-01T10:00:00"}  # fmt: skip
    gateway.on("GET", "/api/experiments/shop/queries", httpx.Response(200, json={"queries": [q]}))
    gateway.on("GET", "/api/experiments/shop/queries/by_status", httpx.Response(200, json=q))
    gateway.on("DELETE", "/api/experiments/shop/queries/by_status", httpx.Response(204))
    listed = run_cli("query", "list", "shop")
    assert "by_status" in listed.out and "SELECT status FROM orders" in listed.out
    assert run_cli("query", "show", "shop", "by_status").out == "SELECT status\nFROM orders\n"
    deleted = run_cli("query", "delete", "shop", "by_status")
    assert deleted.code == 0 and deleted.out == "deleted saved query by_status of shop\n"
    gateway.on("GET", "/api/experiments/shop/queries", httpx.Response(200, json={"queries": []}))
    assert run_cli("query", "list", "shop").out == "no saved queries in shop\n"


def test_query_run_saved_and_history(gateway: FakeGateway, run_cli: RunCli) -> None:
    gateway.on(
        "POST", "/api/experiments/shop/queries/by_status/run", httpx.Response(200, json=ROWS)
    )
    result = run_cli("query", "run", "shop", "--saved", "by_status", "--limit", "5")
    assert result.code == 0 and "paid" in result.out
    assert gateway.body() == {"limit": 5}
    both = run_cli("query", "run", "shop", "SELECT 1", "--saved", "x")
    assert both.code == 1 and "either SQL or --saved" in both.err

    entries = [
        {"id": 2, "sql": "SELECT nope", "saved_query": None, "format": "json", "status": "error",
         "error": "unknown column nope", "row_count": None, "duration_ms": 12,
         "created_at": "2024-05-01T10:00:02+00:00"},
        {"id": 1, "sql": "SELECT status,\n n FROM t", "saved_query": "by_status", "format": "json",
         "status": "ok", "error": None, "row_count": 1234, "duration_ms": 1500,
         "created_at": "2024-05-01T10:00:01+00:00"},
    ]  # fmt: skip
    gateway.on("GET", "/api/experiments/shop/history",
               httpx.Response(200, json={"experiment": "shop", "entries": entries}))  # fmt: skip
    history = run_cli("query", "history", "shop")
    assert "error: unknown column nope" in history.out
    assert "[by_status] SELECT status, n FROM t" in history.out
    assert "1,234" in history.out and "1,500" in history.out
    newest = run_cli("query", "history", "shop", "--limit", "1").out
    assert "SELECT nope" in newest and "by_status" not in newest


def test_query_run_output_csv_streams_and_json_writes_records(
    gateway: FakeGateway, run_cli: RunCli, tmp_path: Path
) -> None:
    csv_text = "status,n\nnew,2\npaid,3\n"
    gateway.on(
        "POST", "/api/experiments/shop/query",
        lambda request: httpx.Response(200, text=csv_text, headers={"content-type": "text/csv"})
        if json.loads(request.content).get("format") == "csv"
        else httpx.Response(200, json=ROWS),
    )  # fmt: skip
    out_csv = tmp_path / "r.csv"
    result = run_cli("query", "run", "shop", "SELECT 1", "--output", str(out_csv))
    assert result.code == 0, result.err
    assert gateway.body() == {"sql": "SELECT 1", "format": "csv"}
    assert out_csv.read_text() == csv_text
    assert result.out == "" and f"wrote {out_csv} (csv, 22 bytes)" in result.err
    out_json = tmp_path / "r.json"
    assert run_cli("query", "run", "shop", "SELECT 1", "-o", str(out_json)).code == 0
    assert gateway.body() == {"sql": "SELECT 1"}
    assert json.loads(out_json.read_text()) == [
        {"status": "new", "n": 2},
        {"status": "paid", "n": 3},
    ]
    odd = run_cli("query", "run", "shop", "SELECT 1", "-o", str(tmp_path / "r.txt"))
    assert odd.code == 1 and "name a .csv or .json file" in odd.err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["experiment", "tables", "shop"], "curl -sS http://gw/api/experiments/shop/tables"),
        (["table", "preview", "shop", "orders", "--limit", "9"],
         "curl -sS 'http://gw/api/experiments/shop/tables/orders/preview?limit=9'"),
        (["table", "profile", "shop", "orders"],
         "curl -sS http://gw/api/experiments/shop/tables/orders/profile"),
        (["query", "save", "shop", "q", "SELECT 1"],
         "curl -sS -X POST http://gw/api/experiments/shop/queries -H 'Content-Type: "
         "application/json' --data-binary '{\"name\": \"q\", \"sql\": \"SELECT 1\"}'"),
        (["query", "list", "shop"], "curl -sS http://gw/api/experiments/shop/queries"),
        (["query", "show", "shop", "q"], "curl -sS http://gw/api/experiments/shop/queries/q"),
        (["query", "delete", "shop", "q"],
         "curl -sS -X DELETE http://gw/api/experiments/shop/queries/q"),
        (["query", "run", "shop", "--saved", "q"],
         "curl -sS -X POST http://gw/api/experiments/shop/queries/q/run -H 'Content-Type: "
         "application/json' --data-binary '{}'"),
        (["query", "run", "shop", "SELECT 1", "-o", "x.csv"],
         "curl -sS -X POST http://gw/api/experiments/shop/query -H 'Content-Type: "
         "application/json' --data-binary '{\"sql\": \"SELECT 1\", \"format\": \"csv\"}' -o x.csv"),
        (["query", "history", "shop"], "curl -sS http://gw/api/experiments/shop/history"),
    ],
)  # fmt: skip
def test_print_curl_of_each_new_command(
    gateway: FakeGateway, run_cli: RunCli, argv: list[str], expected: str
) -> None:
    result = run_cli("--url", "http://gw", *argv, "--print-curl")
    assert result.code == 0, result.err
    assert result.out == expected + "\n"
    assert gateway.requests == []


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"], env={})
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == "dw-sim 0.1.0"


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_is_a_bar_then_one_final_line(
    gateway: FakeGateway, make_run: Callable[..., dict[str, Any]]
) -> None:
    accepted = {"run_id": 7, "experiment": "shop", "status": "QUEUED", "links": {}}
    gateway.on("POST", "/api/experiments/shop/generate", httpx.Response(202, json=accepted))
    half = {"target_rows": 1000, "generated_rows": 800, "loaded_rows": 500}
    gateway.on(
        "GET", "/api/experiments/shop/runs/7",
        httpx.Response(200, json=make_run("RUNNING", totals=half)),
        httpx.Response(200, json=make_run("COMPLETED")),
    )  # fmt: skip
    out, err = io.StringIO(), Tty()
    code = main(
        ["experiment", "generate", "shop", "--wait"], env={}, transport=gateway.transport,
        out=out, err=err, sleep=lambda s: None, now=lambda: datetime(2024, 5, 1, 10, 0, 5, tzinfo=UTC),
    )  # fmt: skip
    assert code == 0
    final = "run 7 of shop: COMPLETED  1,000 / 1,000 rows loaded (100%)  81 rows/s  (12.3 s)"
    # the bar is transient; the final line is printed once, on stdout (it was also on stderr)
    assert "rows loaded" not in err.getvalue()
    assert out.getvalue().splitlines()[0] == final
