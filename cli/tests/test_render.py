from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from rich.console import Console

from dwsim_cli import render
from dwsim_cli.errors import ApiError, GatewayUnreachable

MakeRun = Callable[..., dict[str, Any]]


def _text(renderable: object) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=200, markup=False, highlight=False).print(renderable)
    return buffer.getvalue()


def test_status_line_of_a_completed_run(make_run: MakeRun) -> None:
    run = make_run(
        "COMPLETED",
        totals={"target_rows": 1000000, "generated_rows": 1000000, "loaded_rows": 1000000},
    )
    assert render.run_status_line(run) == (
        "run 7 of shop: COMPLETED  1,000,000 / 1,000,000 rows loaded (100%)  81,301 rows/s  (12.3 s)"
    )


def test_status_line_of_a_running_run_counts_time_so_far(make_run: MakeRun) -> None:
    now = datetime(2024, 5, 1, 10, 1, 5, tzinfo=UTC)
    assert render.run_status_line(make_run("RUNNING"), now) == (
        "run 7 of shop: RUNNING  0 / 1,000 rows loaded (0%)  (65.0 s)"
    )


def test_status_line_shows_percentage_rows_per_second_and_eta(make_run: MakeRun) -> None:
    now = datetime(2024, 5, 1, 10, 0, 10, tzinfo=UTC)
    run = make_run(
        "RUNNING",
        totals={"target_rows": 4_000_000, "generated_rows": 1_500_000, "loaded_rows": 1_000_000},
    )
    assert render.run_status_line(run, now) == (
        "run 7 of shop: RUNNING  1,000,000 / 4,000,000 rows loaded (25%), 1,500,000 generated"
        "  100,000 rows/s  ETA 30 s  (10.0 s)"
    )


def test_status_line_of_a_queued_run_has_no_duration_and_tolerates_missing_totals(
    make_run: MakeRun,
) -> None:
    run = make_run("QUEUED", totals=None)
    assert render.run_status_line(run) == "run 7 of shop: QUEUED  - / - rows loaded"


def test_naive_timestamps_are_taken_as_utc(make_run: MakeRun) -> None:
    run = make_run("RUNNING", started_at="2024-05-01T10:00:00")
    assert render.run_duration(run, datetime(2024, 5, 1, 10, 0, 2, tzinfo=UTC)) == 2.0


def test_run_tables_table_has_one_row_per_table(make_run: MakeRun) -> None:
    run = make_run("COMPLETED")
    run["tables"]["orders"] = dict(run["tables"]["customers"], target_rows=5000, shards_failed=2)
    lines = _text(render.run_tables_table(run)).splitlines()
    customers = next(line for line in lines if "customers" in line)
    orders = next(line for line in lines if "orders" in line)
    cells = [cell.strip() for cell in customers.split("│")[1:8]]
    assert cells == ["customers", "1,000", "1,000", "1,000", "1", "1", "0"]
    assert "5,000" in orders and orders.split("│")[7].strip() == "2"
    header = next(line for line in lines if "target" in line)
    assert "shards loaded" in " ".join(lines[:4]) or "shards" in header  # two lines of header
    assert header.count("loaded") <= 1 or "shards" in header


def test_run_detail_lines_show_error_and_objects(make_run: MakeRun) -> None:
    run = make_run("FAILED", error="loader crashed", objects=None)
    assert render.run_detail_lines(run) == ["error: loader crashed"]


def test_runs_and_experiments_tables_contain_their_rows(make_run: MakeRun) -> None:
    text = _text(render.runs_table([make_run("COMPLETED"), make_run("FAILED", run_id=6)]))
    assert "COMPLETED" in text and "FAILED" in text and "12.3" in text
    experiments = [
        {
            "name": "shop",
            "source_dialect": "redshift",
            "target_warehouse": "sqlite",
            "tables": [{"name": "customers"}, {"name": "orders"}],
            "created_at": "2024-05-01",
            "last_run": {"run_id": 7, "status": "COMPLETED"},
        },
        {"name": "empty", "tables": 0, "last_run": None},
    ]
    text = _text(render.experiments_table(experiments))
    assert "customers, orders" in text
    assert "7 COMPLETED" in text
    empty_row = next(line for line in text.splitlines() if "empty" in line)
    assert "-" in empty_row


RESULT = {
    "columns": ["id", "name", "note"],
    "rows": [[1, "a,b", None], [2, 'say "hi"', "[bold]x[/bold]"]],
    "row_count": 2,
    "truncated": False,
    "engine_sql": "SELECT 1",
}


def test_query_csv_quotes_fields_and_writes_null_as_empty() -> None:
    text = render.query_csv(RESULT)
    assert list(csv.reader(io.StringIO(text))) == [
        ["id", "name", "note"],
        ["1", "a,b", ""],
        ["2", 'say "hi"', "[bold]x[/bold]"],
    ]


def test_query_json_is_records() -> None:
    assert json.loads(render.query_json(RESULT)) == [
        {"id": 1, "name": "a,b", "note": None},
        {"id": 2, "name": 'say "hi"', "note": "[bold]x[/bold]"},
    ]


def test_query_table_shows_null_and_does_not_interpret_markup_in_data() -> None:
    text = _text(render.query_table(RESULT))
    assert "NULL" in text
    assert "[bold]x[/bold]" in text


def test_query_footer() -> None:
    assert render.query_footer(RESULT) == "2 rows"
    assert render.query_footer({"rows": [[1]], "row_count": 1, "truncated": True}) == (
        "1 row (truncated by the limit)"
    )


def test_format_error_lists_problems() -> None:
    error = ApiError(
        422,
        "invalid_document",
        "invalid experiment document",
        {
            "problems": [
                {"path": "tables[2].columns[5].max_value", "message": "must be >= min_value"},
                {"path": "name", "message": "required"},
            ]
        },
    )
    assert render.format_error(error) == [
        "error: invalid experiment document",
        "  tables[2].columns[5].max_value: must be >= min_value",
        "  name: required",
    ]


def test_format_error_names_the_failing_component_unless_the_message_does() -> None:
    down = ApiError(503, "unavailable", "a dependency is down", {"component": "broker"})
    assert render.format_error(down) == ["error: a dependency is down", "  component: broker"]
    named = ApiError(503, "unavailable", "broker is down", {"component": "broker"})
    assert render.format_error(named) == ["error: broker is down"]


def test_format_error_of_a_local_error() -> None:
    error = GatewayUnreachable("http://h:1", "refused")
    assert render.format_error(error) == [
        "error: cannot reach the gateway at http://h:1: refused"
        " (is it running? DWSIM_URL or --url sets where it is)"
    ]


IMPORTED_TABLES: list[dict[str, Any]] = [
    {
        "name": "customers",
        "target_rows": 1000,
        "primary_key": ["id"],
        "columns": [
            {"name": "id", "data_type": "BIGINT", "is_unique": True},
            {"name": "email", "data_type": "VARCHAR", "is_unique": True,
             "faker_rule": "email", "inferred": ["faker_rule"]},
            {"name": "score", "data_type": "FLOAT", "min_value": 0, "max_value": 100,
             "distribution": {"type": "normal"},
             "inferred": ["min_value", "max_value", "distribution"]},
            {"name": "referrer_id", "data_type": "BIGINT",
             "foreign_key": {"references_table": "customers", "references_column": "id"}},
        ],
    },
    {
        "name": "order_items",
        "target_rows": 5000,
        "primary_key": ["order_id", "line"],
        "unique_constraints": [["sku", "order_id"], ["order_id", "line"]],
        "composite_keys": [["sku", "order_id"]],
        "foreign_keys": [{"columns": ["order_id"], "references_table": "orders",
                          "references_columns": ["id"]}],
        "columns": [{"name": "order_id", "data_type": "BIGINT"}],
    },
    {"name": "bare", "columns": [{"name": "x", "data_type": "INT"}]},
]  # fmt: skip


def test_table_keys_lists_pk_unique_and_foreign_keys_once_each() -> None:
    customers, items, bare = IMPORTED_TABLES
    assert render.table_keys(customers) == (
        "PK (id); UNIQUE (email); FK (referrer_id) -> customers (id)"
    )
    assert render.table_keys(items) == (
        "PK (order_id, line); UNIQUE (sku, order_id); FK (order_id) -> orders (id)"
    )
    assert render.table_keys(bare) == "-"


def test_experiment_tables_table_has_counts_and_keys() -> None:
    lines = _text(render.experiment_tables_table(IMPORTED_TABLES)).splitlines()
    assert [cell.strip() for cell in lines[1].split("┃")[1:5]] == [
        "table", "columns", "target_rows", "keys",
    ]  # fmt: skip
    customers = next(line for line in lines if "customers" in line)
    assert [cell.strip() for cell in customers.split("│")[1:4]] == ["customers", "4", "1000"]
    bare = next(line for line in lines if "bare" in line)
    assert [cell.strip() for cell in bare.split("│")[1:5]] == ["bare", "1", "NULL", "-"]


def test_inferred_lines_name_each_guessed_rule_with_its_value() -> None:
    assert render.inferred_lines(IMPORTED_TABLES) == [
        "customers.email: faker_rule=email (inferred)",
        'customers.score: min_value=0, max_value=100, distribution={"type": "normal"} (inferred)',
    ]
    column = {"name": "c", "inferred": ["pattern"]}
    assert render.inferred_lines([{"name": "t", "columns": [column]}]) == [
        "t.c: pattern (inferred)"
    ]


def test_warning_lines_top_level_then_per_table_without_repeats() -> None:
    answer = {
        "warnings": ["skipped GRANT SELECT ON customers", "orders: dropped IDENTITY"],
        "experiment": {
            "tables": [
                {"name": "customers", "warnings": []},
                {"name": "orders", "warnings": ["dropped IDENTITY", "unknown type GEOGRAPHY"]},
            ]
        },
    }
    assert render.warning_lines(answer) == [
        "warning: skipped GRANT SELECT ON customers",
        "warning: orders: dropped IDENTITY",
        "warning: orders: unknown type GEOGRAPHY",
    ]
    assert render.warning_lines({"valid": True}) == []


def test_format_error_shows_where_a_syntax_error_is() -> None:
    details = {"line": 3, "column": 14, "near": "FOO"}
    error = ApiError(400, "bad_request", "SQL syntax error", details)
    assert render.format_error(error) == [
        "error: SQL syntax error",
        "  at line 3, column 14: near 'FOO'",
    ]
    assert render.syntax_location({"line": 2}) == "at line 2"
    assert render.syntax_location({"near": "it's"}) == 'near "it\'s"'
    assert render.syntax_location({"near": "", "column": None}) is None


def test_booleans_print_as_the_warehouses_print_them() -> None:
    result = {"columns": ["flag"], "rows": [[True], [False]], "row_count": 2}
    assert list(csv.reader(io.StringIO(render.query_csv(result)))) == [
        ["flag"], ["true"], ["false"]
    ]  # fmt: skip
    text = _text(render.query_table(result))
    assert "true" in text and "false" in text and "True" not in text


def test_status_line_of_a_published_run_says_its_data_is_queryable(make_run: MakeRun) -> None:
    now = datetime(2024, 5, 1, 10, 0, 10, tzinfo=UTC)
    totals = {"target_rows": 1000, "generated_rows": 1000, "loaded_rows": 1000}
    published = make_run("RUNNING", totals=totals, published_at="2024-05-01T10:00:09+00:00")
    assert render.run_status_line(published, now).endswith(
        "  published: the data is live and queryable; validation report running"
    )
    assert "published" not in render.run_status_line(make_run("RUNNING", totals=totals), now)
