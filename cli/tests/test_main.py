"""`main` end to end against a fake gateway on `httpx.MockTransport`."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

if TYPE_CHECKING:
    from .conftest import FakeGateway, Result

RunCli = Callable[..., "Result"]
MakeRun = Callable[..., dict[str, Any]]
NOW = datetime(2024, 5, 1, 10, 0, 30, tzinfo=UTC)
DOC = {"name": "shop", "source_dialect": "redshift", "tables": [{"name": "customers"}]}


def test_experiment_list_renders_a_table(gateway: FakeGateway, run_cli: RunCli) -> None:
    answer = {
        "experiments": [
            {
                "name": "shop",
                "source_dialect": "redshift",
                "target_warehouse": "sqlite",
                "tables": [{"name": "customers"}],
                "created_at": "2024-05-01T10:00:00Z",
                "updated_at": "2024-05-01T10:00:00Z",
                "last_run": {"run_id": 7, "status": "COMPLETED"},
            }
        ]
    }
    gateway.on("GET", "/api/experiments", httpx.Response(200, json=answer))
    result = run_cli("experiment", "list")
    assert result.code == 0
    assert "shop" in result.out and "sqlite" in result.out and "7 COMPLETED" in result.out
    assert result.err == ""


def test_json_flag_prints_the_raw_answer(gateway: FakeGateway, run_cli: RunCli) -> None:
    answer = {"experiments": []}
    gateway.on("GET", "/api/experiments", httpx.Response(200, json=answer))
    result = run_cli("experiment", "list", "--json")
    assert json.loads(result.out) == answer
    assert run_cli("experiment", "list").out == "no experiments\n"


def test_token_and_url_come_from_the_environment(gateway: FakeGateway, run_cli: RunCli) -> None:
    gateway.on("GET", "/api/experiments", httpx.Response(200, json={"experiments": []}))
    run_cli("experiment", "list", env={"DWSIM_URL": "http://gw:9/p", "DWSIM_API_TOKEN": "s3"})
    (request,) = gateway.requests
    assert str(request.url) == "http://gw:9/p/api/experiments"
    assert request.headers["authorization"] == "Bearer s3"


def test_create_sends_the_file_content(
    gateway: FakeGateway, run_cli: RunCli, tmp_path: Path
) -> None:
    path = tmp_path / "shop.json"
    path.write_text(json.dumps(DOC))
    gateway.on(
        "POST", "/api/experiments", httpx.Response(201, json=dict(DOC, target_warehouse="sqlite"))
    )
    result = run_cli("experiment", "create", str(path))
    assert result.code == 0
    assert gateway.body() == DOC
    assert result.out == "created experiment shop (warehouse sqlite, 1 tables)\n"


def test_create_reads_stdin_for_dash(
    gateway: FakeGateway, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(DOC)))
    gateway.on("POST", "/api/experiments", httpx.Response(201, json=DOC))
    assert run_cli("experiment", "create", "-", "--json").code == 0
    assert gateway.body() == DOC


def test_create_with_invalid_json_fails_locally(
    gateway: FakeGateway, run_cli: RunCli, tmp_path: Path
) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"name": "shop",\n  oops}')
    result = run_cli("experiment", "create", str(path))
    assert result.code == 1
    assert (
        result.err
        == f"error: {path} is not valid JSON: Expecting property name enclosed in double quotes at line 2 column 3\n"
    )
    assert gateway.requests == []
    missing = run_cli("experiment", "create", str(tmp_path / "nope.json"))
    assert missing.code == 1 and missing.err.startswith("error: cannot read ")


def test_validation_errors_go_to_stderr_with_exit_1(
    gateway: FakeGateway, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = {
        "error": "invalid_document",
        "message": "invalid experiment document",
        "details": {"problems": [{"path": "tables[0].columns[1].max_value", "message": "< min"}]},
    }
    gateway.on("POST", "/api/experiments", httpx.Response(422, json=body))
    monkeypatch.setattr("sys.stdin", io.StringIO("{}"))
    result = run_cli("experiment", "create", "-")
    assert result.code == 1
    assert result.out == ""
    assert result.err == (
        "error: invalid experiment document\n  tables[0].columns[1].max_value: < min\n"
    )


@pytest.mark.parametrize(("status", "code"), [(404, 1), (409, 1), (401, 1), (503, 2), (504, 2)])
def test_exit_code_follows_the_status_class(
    gateway: FakeGateway, run_cli: RunCli, status: int, code: int
) -> None:
    body = {"error": "x", "message": f"failed with {status}", "details": {}}
    gateway.on("DELETE", "/api/experiments/shop", httpx.Response(status, json=body))
    result = run_cli("experiment", "delete", "shop")
    assert result.code == code
    assert result.err == f"error: failed with {status}\n"


def test_show_prints_the_document_and_delete_confirms(
    gateway: FakeGateway, run_cli: RunCli
) -> None:
    gateway.on("GET", "/api/experiments/shop", httpx.Response(200, json=DOC))
    gateway.on("DELETE", "/api/experiments/shop", httpx.Response(204))
    assert json.loads(run_cli("experiment", "show", "shop").out) == DOC
    deleted = run_cli("experiment", "delete", "shop")
    assert (deleted.code, deleted.out) == (0, "deleted experiment shop\n")
    assert run_cli("experiment", "delete", "shop", "--json").out == ""


def test_print_curl_calls_nothing(gateway: FakeGateway, run_cli: RunCli) -> None:
    result = run_cli(
        "--token", "t", "experiment", "generate", "shop", "--rows", "customers=10",
        "--wait", "--print-curl",
    )  # fmt: skip
    assert result.code == 0
    assert gateway.requests == []
    assert result.out == (
        "curl -sS -X POST http://127.0.0.1:8000/api/experiments/shop/generate"
        " -H 'Content-Type: application/json' -H 'Authorization: Bearer t'"
        """ --data-binary '{"rows": {"customers": 10}}'\n"""
    )


def test_generate_without_wait_reports_the_queued_run(
    gateway: FakeGateway, run_cli: RunCli
) -> None:
    accepted = {"run_id": 7, "experiment": "shop", "status": "QUEUED", "links": {}}
    gateway.on("POST", "/api/experiments/shop/generate", httpx.Response(202, json=accepted))
    result = run_cli("experiment", "generate", "shop", "--seed", "42", "--shard-size", "500")
    assert result.code == 0
    assert gateway.body() == {"seed": 42, "shard_size": 500}
    assert result.out.splitlines()[0] == "run 7 of shop: QUEUED"
    assert len(gateway.requests) == 1


def _accept(gateway: FakeGateway) -> None:
    accepted = {"run_id": 7, "experiment": "shop", "status": "QUEUED", "links": {}}
    gateway.on("POST", "/api/experiments/shop/generate", httpx.Response(202, json=accepted))


def test_generate_wait_polls_until_completed(
    gateway: FakeGateway, run_cli: RunCli, make_run: MakeRun
) -> None:
    _accept(gateway)
    gateway.on(
        "GET",
        "/api/experiments/shop/runs/7",
        httpx.Response(200, json=make_run("QUEUED")),
        httpx.Response(200, json=make_run("RUNNING")),
        httpx.Response(200, json=make_run("RUNNING")),
        httpx.Response(200, json=make_run("COMPLETED")),
    )
    sleeps: list[float] = []
    result = run_cli(
        "experiment", "generate", "shop", "--wait", "--poll-interval", "0.5",
        sleep=sleeps.append, now=lambda: NOW,
    )  # fmt: skip
    assert result.code == 0
    assert [r.method for r in gateway.requests] == ["POST", "GET", "GET", "GET", "GET"]
    assert sleeps == [0.5, 0.5, 0.5]
    # progress on stderr, once per change (the two RUNNING polls print one line); the final
    # line once, on stdout only (it was printed twice)
    assert result.err.splitlines() == [
        "run 7 of shop: QUEUED  0 / 1,000 rows loaded (0%)",
        "run 7 of shop: RUNNING  0 / 1,000 rows loaded (0%)  (30.0 s)",
    ]
    final = "run 7 of shop: COMPLETED  1,000 / 1,000 rows loaded (100%)  81 rows/s  (12.3 s)"
    lines = result.out.splitlines()
    assert lines[0] == final
    assert (result.out + result.err).count("COMPLETED  1,000") == 1
    # thousands separators, and each column's own header
    assert any("customers" in line and "1,000" in line for line in lines[1:])
    assert any("shards loaded" in line and "shards failed" in line for line in lines[1:])


@pytest.mark.parametrize("final", ["FAILED", "ABORTED"])
def test_generate_wait_exits_non_zero_when_the_run_does_not_complete(
    gateway: FakeGateway, run_cli: RunCli, make_run: MakeRun, final: str
) -> None:
    _accept(gateway)
    gateway.on(
        "GET",
        "/api/experiments/shop/runs/7",
        httpx.Response(200, json=make_run(final, error="shard 3 failed")),
    )
    result = run_cli("experiment", "generate", "shop", "--wait")
    assert result.code == 3
    assert result.out.startswith(f"run 7 of shop: {final}  ")
    assert f"error: run 7 of shop ended {final}: shard 3 failed\n" in result.err


def test_generate_wait_json_prints_only_the_final_run(
    gateway: FakeGateway, run_cli: RunCli, make_run: MakeRun
) -> None:
    _accept(gateway)
    gateway.on(
        "GET", "/api/experiments/shop/runs/7", httpx.Response(200, json=make_run("COMPLETED"))
    )
    result = run_cli("experiment", "generate", "shop", "--wait", "--json")
    assert result.code == 0
    assert json.loads(result.out) == make_run("COMPLETED")


def test_generate_wait_times_out(gateway: FakeGateway, run_cli: RunCli, make_run: MakeRun) -> None:
    _accept(gateway)
    gateway.on("GET", "/api/experiments/shop/runs/7", httpx.Response(200, json=make_run("RUNNING")))
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    result = run_cli(
        "experiment", "generate", "shop", "--wait", "--timeout", "3", "--poll-interval", "1",
        sleep=sleep, clock=lambda: now[0],
    )  # fmt: skip
    assert result.code == 4
    assert now[0] == 3.0
    assert "still RUNNING after 3 s" in result.err
    assert result.out.startswith("run 7 of shop: RUNNING")


def test_generate_wait_stops_on_an_api_error_while_polling(
    gateway: FakeGateway, run_cli: RunCli
) -> None:
    _accept(gateway)
    body = {"error": "unavailable", "message": "state database is down", "details": {}}
    gateway.on("GET", "/api/experiments/shop/runs/7", httpx.Response(503, json=body))
    result = run_cli("experiment", "generate", "shop", "--wait")
    assert result.code == 2
    assert result.err.endswith("error: state database is down\n")


def test_runs_list_and_show(gateway: FakeGateway, run_cli: RunCli, make_run: MakeRun) -> None:
    runs = [make_run("COMPLETED"), make_run("FAILED", run_id=6, error="boom")]
    gateway.on("GET", "/api/experiments/shop/runs", httpx.Response(200, json={"runs": runs}))
    gateway.on("GET", "/api/experiments/shop/runs/6", httpx.Response(200, json=runs[1]))
    listed = run_cli("runs", "list", "shop")
    assert listed.code == 0 and "COMPLETED" in listed.out and "FAILED" in listed.out
    shown = run_cli("runs", "show", "shop", "6", now=lambda: NOW)
    assert shown.code == 0  # showing a failed run is not an error
    assert shown.out.splitlines()[0] == (
        "run 6 of shop: FAILED  0 / 1,000 rows loaded (0%)  (30.0 s)"
    )
    assert "error: boom" in shown.out


QUERY_ANSWER = {
    "columns": ["id", "name"],
    "rows": [[1, "ann"], [2, None]],
    "row_count": 2,
    "truncated": True,
    "engine_sql": "SELECT id, name FROM customers LIMIT 2",
}


@pytest.mark.parametrize(
    ("fmt", "expected_out"),
    [
        ("csv", "id,name\n1,ann\n2,\n"),
        ("json", json.dumps([{"id": 1, "name": "ann"}, {"id": 2, "name": None}], indent=2) + "\n"),
    ],
)
def test_query_formats(gateway: FakeGateway, run_cli: RunCli, fmt: str, expected_out: str) -> None:
    gateway.on("POST", "/api/experiments/shop/query", httpx.Response(200, json=QUERY_ANSWER))
    result = run_cli(
        "query", "run", "shop", "select id, name from customers", "--limit", "2", "--format", fmt
    )
    assert result.code == 0
    assert gateway.body() == {"sql": "select id, name from customers", "limit": 2}
    assert result.out == expected_out
    assert result.err == "2 rows (truncated by the limit)\n"


def test_query_table_format_and_raw_json(gateway: FakeGateway, run_cli: RunCli) -> None:
    gateway.on("POST", "/api/experiments/shop/query", httpx.Response(200, json=QUERY_ANSWER))
    table = run_cli("query", "run", "shop", "select 1")
    assert "ann" in table.out and "NULL" in table.out
    assert table.out.endswith("2 rows (truncated by the limit)\n")
    assert json.loads(run_cli("query", "run", "shop", "select 1", "--json").out) == QUERY_ANSWER


def test_query_sql_error_is_exit_1(gateway: FakeGateway, run_cli: RunCli) -> None:
    body = {"error": "bad_request", "message": "syntax error at line 1, column 8", "details": {}}
    gateway.on("POST", "/api/experiments/shop/query", httpx.Response(400, json=body))
    result = run_cli("query", "run", "shop", "selec 1")
    assert (result.code, result.err) == (1, "error: syntax error at line 1, column 8\n")


def test_connection_refused_message(gateway: FakeGateway, run_cli: RunCli) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    gateway.on("GET", "/api/experiments/shop/runs", refuse)
    result = run_cli("--url", "http://10.0.0.1:8000", "runs", "list", "shop")
    assert result.code == 2
    assert result.err == (
        "error: cannot reach the gateway at http://10.0.0.1:8000: [Errno 111] Connection refused"
        " (is it running? DWSIM_URL or --url sets where it is)\n"
    )


def test_piped_tables_are_not_cut_at_80_columns(gateway: FakeGateway, run_cli: RunCli) -> None:
    long_value = "x" * 120
    answer = {"columns": ["a", "b"], "rows": [[long_value, 123456789012345]], "row_count": 1}
    gateway.on("POST", "/api/experiments/shop/query", httpx.Response(200, json=answer))
    out = run_cli("query", "run", "shop", "select 1").out
    assert long_value in out and "123456789012345" in out
    assert "…" not in out


DDL = (
    "-- shop schema\r\n"
    "CREATE TABLE customers (\r\n"
    "\tid BIGINT PRIMARY KEY,\r\n"
    "\temail VARCHAR(120) UNIQUE,  -- 'quoted' $HOME `id`\r\n"
    "\tname VARCHAR(40) DEFAULT 'Zoë'\r\n"
    ");\r\n"
    "GRANT SELECT ON customers TO analyst;"
)
IMPORTED = {
    "name": "shop",
    "source_dialect": "redshift",
    "target_warehouse": "sqlite",
    "tables": [
        {
            "name": "customers",
            "target_rows": 1000,
            "primary_key": ["id"],
            "warnings": ["name: DEFAULT 'Zoë' ignored"],
            "columns": [
                {"name": "id", "data_type": "BIGINT", "is_unique": True},
                {"name": "email", "data_type": "VARCHAR", "varchar_length": 120,
                 "is_unique": True, "faker_rule": "email", "inferred": ["faker_rule"]},
                {"name": "name", "data_type": "VARCHAR", "varchar_length": 40,
                 "faker_rule": "name", "inferred": ["faker_rule"]},
            ],
        }
    ],
}  # fmt: skip
IMPORT_ANSWER = {"experiment": IMPORTED, "warnings": ["skipped GRANT SELECT ON customers"]}


def test_import_sql_sends_the_file_verbatim_and_reports_what_was_inferred(
    gateway: FakeGateway, run_cli: RunCli, tmp_path: Path
) -> None:
    path = tmp_path / "shop.sql"
    path.write_bytes(DDL.encode("utf-8"))
    gateway.on("POST", "/api/experiments/import-sql", httpx.Response(201, json=IMPORT_ANSWER))
    result = run_cli(
        "experiment", "import-sql", str(path), "--name", "shop", "--dialect", "redshift",
        "--target-warehouse", "sqlite", "--rows", "customers=1000", "--target-rows", "10",
        "--locale", "en_GB", "--seed", "42",
    )  # fmt: skip
    assert result.code == 0, result.err
    (request,) = gateway.requests
    assert (request.method, request.url.path) == ("POST", "/api/experiments/import-sql")
    assert gateway.body() == {
        "name": "shop", "sql": DDL, "dialect": "redshift", "target_rows": 10,
        "rows": {"customers": 1000}, "target_warehouse": "sqlite", "locale": "en_GB", "seed": 42,
    }  # fmt: skip
    lines = result.out.splitlines()
    assert lines[0] == "created experiment shop from redshift DDL: 1 tables"
    row = next(line for line in lines if "customers" in line and "│" in line)
    assert [cell.strip() for cell in row.split("│")[1:5]] == [
        "customers", "3", "1000", "PK (id); UNIQUE (email)",
    ]  # fmt: skip
    assert lines[-4:] == [
        "customers.email: faker_rule=email (inferred)",
        "customers.name: faker_rule=name (inferred)",
        "warning: skipped GRANT SELECT ON customers",
        "warning: customers: name: DEFAULT 'Zoë' ignored",
    ]
    assert result.err == ""


def test_import_sql_reads_stdin_and_json_prints_the_raw_answer(
    gateway: FakeGateway, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("create table t (a int);\n"))
    gateway.on("POST", "/api/experiments/import-sql", httpx.Response(201, json=IMPORT_ANSWER))
    result = run_cli(
        "experiment", "import-sql", "-", "--name", "t", "--dialect", "postgres", "--json"
    )
    assert result.code == 0
    assert gateway.body() == {
        "name": "t",
        "sql": "create table t (a int);\n",
        "dialect": "postgres",
    }
    assert json.loads(result.out) == IMPORT_ANSWER


def test_import_sql_syntax_error_shows_line_column_and_near(
    gateway: FakeGateway, run_cli: RunCli, tmp_path: Path
) -> None:
    path = tmp_path / "bad.sql"
    path.write_text("CREATE TABLE t (\n  a INT,\n  b VARCHAR FOO\n);\n")
    body = {
        "error": "bad_request",
        "message": "cannot parse the redshift DDL",
        "details": {"line": 3, "column": 14, "near": "FOO"},
    }
    gateway.on("POST", "/api/experiments/import-sql", httpx.Response(400, json=body))
    result = run_cli("experiment", "import-sql", str(path), "--name", "t", "--dialect", "redshift")
    assert result.code == 1
    assert result.out == ""
    assert (
        result.err == "error: cannot parse the redshift DDL\n  at line 3, column 14: near 'FOO'\n"
    )


def test_import_sql_of_a_file_that_is_not_utf8_fails_locally(
    gateway: FakeGateway, run_cli: RunCli, tmp_path: Path
) -> None:
    path = tmp_path / "latin1.sql"
    path.write_bytes("CREATE TABLE café (a INT);".encode("latin-1"))
    result = run_cli("experiment", "import-sql", str(path), "--name", "t", "--dialect", "redshift")
    assert result.code == 1
    assert result.err.startswith(f"error: {path} is not UTF-8 text: ")
    assert gateway.requests == []


def test_validate_without_dialect_sends_the_document(
    gateway: FakeGateway, run_cli: RunCli, tmp_path: Path
) -> None:
    path = tmp_path / "shop.json"
    path.write_text(json.dumps(DOC))
    answer = {"valid": True, "experiment": dict(DOC, target_warehouse="sqlite"), "warnings": []}
    gateway.on("POST", "/api/experiments/validate", httpx.Response(200, json=answer))
    result = run_cli("experiment", "validate", str(path))
    assert (result.code, result.out, result.err) == (0, "valid: 1 tables\n", "")
    assert gateway.body() == DOC
    assert json.loads(run_cli("experiment", "validate", str(path), "--json").out) == answer


def test_validate_with_dialect_sends_an_import_body_and_shows_warnings(
    gateway: FakeGateway, run_cli: RunCli, tmp_path: Path
) -> None:
    path = tmp_path / "shop.sql"
    path.write_bytes(DDL.encode("utf-8"))
    answer = dict(IMPORT_ANSWER, valid=True)
    gateway.on("POST", "/api/experiments/validate", httpx.Response(200, json=answer))
    result = run_cli("experiment", "validate", str(path), "--dialect", "redshift", "--name", "shop")
    assert result.code == 0
    assert gateway.body() == {"sql": DDL, "dialect": "redshift", "name": "shop"}
    assert result.out.splitlines() == [
        "valid: 1 tables",
        "warning: skipped GRANT SELECT ON customers",
        "warning: customers: name: DEFAULT 'Zoë' ignored",
    ]
    run_cli("experiment", "validate", str(path), "--dialect", "snowflake")
    assert gateway.body() == {"sql": DDL, "dialect": "snowflake"}


def test_validate_refuses_name_without_dialect(
    gateway: FakeGateway, run_cli: RunCli, tmp_path: Path
) -> None:
    path = tmp_path / "shop.json"
    path.write_text(json.dumps(DOC))
    result = run_cli("experiment", "validate", str(path), "--name", "other")
    assert result.code == 1
    assert result.err == "error: --name needs --dialect: a JSON document carries its own name\n"
    assert gateway.requests == []


@pytest.mark.parametrize(
    ("status", "details", "problem_lines"),
    [
        (
            422,
            {"problems": [{"path": "tables[0].columns[0].data_type", "message": "unsupported"}]},
            ["  tables[0].columns[0].data_type: unsupported"],
        ),
        (400, {"line": 1, "column": 8, "near": "TABEL"}, ["  at line 1, column 8: near 'TABEL'"]),
    ],
)
def test_validate_reports_what_is_invalid_with_exit_1(
    gateway: FakeGateway,
    run_cli: RunCli,
    monkeypatch: pytest.MonkeyPatch,
    status: int,
    details: dict[str, Any],
    problem_lines: list[str],
) -> None:
    body = {"error": "invalid", "message": "not valid", "details": details}
    gateway.on("POST", "/api/experiments/validate", httpx.Response(status, json=body))
    monkeypatch.setattr("sys.stdin", io.StringIO("CREATE TABEL t (a int);"))
    result = run_cli("experiment", "validate", "-", "--dialect", "postgres")
    assert result.code == 1
    assert result.out == ""
    assert result.err.splitlines() == ["error: not valid", *problem_lines]


def test_update_puts_the_document(gateway: FakeGateway, run_cli: RunCli, tmp_path: Path) -> None:
    path = tmp_path / "shop.json"
    path.write_text(json.dumps(DOC))
    stored = dict(DOC, target_warehouse="sqlite")
    gateway.on("PUT", "/api/experiments/shop", httpx.Response(200, json=stored))
    result = run_cli("experiment", "update", "shop", str(path))
    assert (result.code, result.out, result.err) == (0, "updated experiment shop\n", "")
    (request,) = gateway.requests
    assert request.method == "PUT"
    assert gateway.body() == DOC
    assert json.loads(run_cli("experiment", "update", "shop", str(path), "--json").out) == stored


def test_update_during_a_run_is_refused_with_exit_1(
    gateway: FakeGateway, run_cli: RunCli, tmp_path: Path
) -> None:
    path = tmp_path / "shop.json"
    path.write_text(json.dumps(DOC))
    body = {"error": "conflict", "message": "experiment 'shop' has an active run", "details": {}}
    gateway.on("PUT", "/api/experiments/shop", httpx.Response(409, json=body))
    result = run_cli("experiment", "update", "shop", str(path))
    assert (result.code, result.out) == (1, "")
    assert result.err == "error: experiment 'shop' has an active run\n"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["import-sql", "{sql}", "--name", "shop", "--dialect", "redshift", "--seed", "1"],
            "curl -sS -X POST http://127.0.0.1:8000/api/experiments/import-sql"
            " -H 'Content-Type: application/json' --data-binary"
            """ '{"name": "shop", "sql": "CREATE TABLE t (a INT);\\n", "dialect": "redshift","""
            """ "seed": 1}'""",
        ),
        (
            ["validate", "{sql}", "--dialect", "postgres"],
            "curl -sS -X POST http://127.0.0.1:8000/api/experiments/validate"
            " -H 'Content-Type: application/json' --data-binary"
            """ '{"sql": "CREATE TABLE t (a INT);\\n", "dialect": "postgres"}'""",
        ),
        (
            ["validate", "{json}"],
            "curl -sS -X POST http://127.0.0.1:8000/api/experiments/validate"
            " -H 'Content-Type: application/json' --data-binary '" + json.dumps(DOC) + "'",
        ),
        (
            ["update", "shop", "{json}"],
            "curl -sS -X PUT http://127.0.0.1:8000/api/experiments/shop"
            " -H 'Content-Type: application/json' --data-binary '" + json.dumps(DOC) + "'",
        ),
    ],
)
def test_print_curl_of_the_document_commands(
    gateway: FakeGateway, run_cli: RunCli, tmp_path: Path, argv: list[str], expected: str
) -> None:
    sql, doc = tmp_path / "t.sql", tmp_path / "shop.json"
    sql.write_text("CREATE TABLE t (a INT);\n")
    doc.write_text(json.dumps(DOC))
    argv = [arg.format(sql=sql, json=doc) for arg in argv]
    result = run_cli("experiment", *argv, "--print-curl")
    assert (result.code, result.out) == (0, expected + "\n")
    assert gateway.requests == []
