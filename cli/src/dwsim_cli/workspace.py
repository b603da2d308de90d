"""The analyst's commands: tables, preview, profile, saved queries, history, query output files.

Each command is one REST call (`build_*`) and a way to show its answer (`show_*`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

from rich.table import Table
from rich.text import Text

from dwsim_cli import render
from dwsim_cli.client import ApiRequest
from dwsim_cli.commands import Context, read_text
from dwsim_cli.errors import EXIT_OK, LocalInputError


def _seg(value: str) -> str:
    return quote(value, safe="")


def _exp(name: str) -> str:
    return f"/api/experiments/{_seg(name)}"


def _right(table: Table, *indexes: int) -> None:
    for index in indexes:
        table.columns[index].justify = "right"


def _n(value: Any) -> Text:
    return (
        Text("-") if value is None else Text(f"{value:,}" if isinstance(value, int) else str(value))
    )


# --- experiment tables -------------------------------------------------------------------


def build_tables(args: argparse.Namespace) -> ApiRequest:
    return ApiRequest("GET", f"{_exp(args.name)}/tables")


def show_tables(ctx: Context, args: argparse.Namespace, answer: Any) -> int:
    if ctx.as_json:
        ctx.print_json(answer)
        return EXIT_OK
    run = answer.get("run")
    where = answer.get("warehouse")
    if run:
        ctx.print(
            f"{answer['experiment']}: data of run {run['run_id']} ({run['status']}) in {where}"
        )
    else:
        ctx.print(f"{answer['experiment']}: no data yet in {where} (generate a run)")
    for table in answer.get("tables") or []:
        rows = table.get("row_count")
        count = "no data" if rows is None else f"{rows:,} rows"
        ctx.print(f"\n{table['name']}  ({count}; target {table['target_rows']:,})")
        grid = render._table("column", "type", "source type", "null", "key", "references", "rules")
        for col in table.get("columns") or []:
            fk = col.get("foreign_key")
            rules = ", ".join(
                r["label"] + (" (inferred)" if r.get("inferred") else "")
                for r in col.get("rules") or []
                if r.get("kind") not in ("key", "foreign_key")
            )
            grid.add_row(
                Text(col["name"]),
                Text(col["data_type"]),
                Text(col.get("source_type") or ""),
                Text("yes" if col.get("nullable") else "no"),
                Text(col.get("key") or ""),
                Text(f"{fk['table']}.{fk['column']}" if fk else ""),
                Text(rules),
            )
        ctx.console.print(grid)
        for note in table.get("notes") or []:
            ctx.print(f"note: {note}")
    return EXIT_OK


# --- table preview / profile -------------------------------------------------------------


def build_preview(args: argparse.Namespace) -> ApiRequest:
    path = f"{_exp(args.name)}/tables/{_seg(args.table)}/preview"
    return ApiRequest("GET", path + (f"?limit={args.limit}" if args.limit else ""))


def show_preview(ctx: Context, args: argparse.Namespace, answer: Any) -> int:
    if ctx.as_json:
        ctx.print_json(answer)
        return EXIT_OK
    ctx.console.print(render.query_table(answer))
    ctx.print(f"first {answer.get('row_count', 0):,} rows of {answer.get('table')}")
    return EXIT_OK


def build_profile(args: argparse.Namespace) -> ApiRequest:
    return ApiRequest("GET", f"{_exp(args.name)}/tables/{_seg(args.table)}/profile")


def show_profile(ctx: Context, args: argparse.Namespace, answer: Any) -> int:
    if ctx.as_json:
        ctx.print_json(answer)
        return EXIT_OK
    approximate = answer.get("distinct_is_approximate")
    grid = render._table("column", "type", "nulls", "distinct", "min", "max", "most frequent")
    _right(grid, 2, 3)
    for col in answer.get("columns") or []:
        fraction = col.get("null_fraction")
        distinct = col.get("distinct_count")
        top = ", ".join(f"{v['value']} ({v['count']:,})" for v in col.get("top_values") or [])
        grid.add_row(
            Text(col["name"]),
            Text(col["data_type"]),
            Text("-" if fraction is None else f"{fraction:.1%}"),
            Text("-" if distinct is None else f"{'~' if approximate else ''}{distinct:,}"),
            render._cell(col.get("min")),
            render._cell(col.get("max")),
            Text(top),
        )
    ctx.console.print(grid)
    note = "; distinct counts are approximate (~)" if approximate else ""
    ctx.print(f"{answer.get('row_count', 0):,} rows in {answer.get('warehouse')}{note}")
    return EXIT_OK


# --- saved queries and history -----------------------------------------------------------


def build_query_save(args: argparse.Namespace) -> ApiRequest:
    if (args.sql is None) == (args.file is None):
        raise LocalInputError("give the SQL either as an argument or with --file, not both")
    sql = read_text(args.file) if args.file is not None else args.sql
    if sql == "-":
        sql = sys.stdin.read()
    body = {"name": args.query_name, "sql": sql}
    return ApiRequest("POST", f"{_exp(args.name)}/queries", body)


def show_query_saved(ctx: Context, args: argparse.Namespace, answer: Any) -> int:
    if ctx.as_json:
        ctx.print_json(answer)
        return EXIT_OK
    ctx.print(f"saved query {answer.get('name')} of {args.name}")
    return EXIT_OK


def build_query_list(args: argparse.Namespace) -> ApiRequest:
    return ApiRequest("GET", f"{_exp(args.name)}/queries")


def show_query_list(ctx: Context, args: argparse.Namespace, answer: Any) -> int:
    if ctx.as_json:
        ctx.print_json(answer)
        return EXIT_OK
    queries = answer.get("queries") or []
    if not queries:
        ctx.print(f"no saved queries in {args.name}")
        return EXIT_OK
    grid = render._table("name", "sql", "updated")
    for q in queries:
        grid.add_row(
            Text(q["name"]),
            Text(" ".join(q["sql"].split())),
            Text(render.timestamp(q["updated_at"])),
        )
    ctx.console.print(grid)
    return EXIT_OK


def build_query_show(args: argparse.Namespace) -> ApiRequest:
    return ApiRequest("GET", f"{_exp(args.name)}/queries/{_seg(args.query_name)}")


def show_query_text(ctx: Context, args: argparse.Namespace, answer: Any) -> int:
    if ctx.as_json:
        ctx.print_json(answer)
        return EXIT_OK
    ctx.print(answer.get("sql", ""))  # the SQL alone, so `show ... > q.sql` round-trips
    return EXIT_OK


def build_query_delete(args: argparse.Namespace) -> ApiRequest:
    return ApiRequest("DELETE", f"{_exp(args.name)}/queries/{_seg(args.query_name)}")


def show_query_deleted(ctx: Context, args: argparse.Namespace, answer: Any) -> int:
    if not ctx.as_json:
        ctx.print(f"deleted saved query {args.query_name} of {args.name}")
    return EXIT_OK


def build_history(args: argparse.Namespace) -> ApiRequest:
    return ApiRequest("GET", f"{_exp(args.name)}/history")


def show_history(ctx: Context, args: argparse.Namespace, answer: Any) -> int:
    if ctx.as_json:
        ctx.print_json(answer)
        return EXIT_OK
    entries = (answer.get("entries") or [])[: args.limit]
    if not entries:
        ctx.print(f"no queries run on {args.name} yet")
        return EXIT_OK
    grid = render._table("when", "ms", "rows", "status", "sql")
    _right(grid, 1, 2)
    for e in entries:
        sql = " ".join(e["sql"].split())
        if e.get("saved_query"):
            sql = f"[{e['saved_query']}] {sql}"
        status = e["status"] if e["status"] == "ok" else f"error: {e.get('error') or ''}"
        grid.add_row(
            Text(render.timestamp(e["created_at"])), _n(e.get("duration_ms")), _n(e.get("row_count")),
            Text(status), Text(sql),
        )  # fmt: skip
    ctx.console.print(grid)
    return EXIT_OK


# --- query run: --saved and --output ------------------------------------------------------


def output_format(path: str | None, requested: str) -> str:
    """The format a file is written in: its extension (.csv, .json) decides, else `requested`.

    >>> output_format("out.csv", "table")
    'csv'
    """
    if path is None:
        return requested
    suffix = Path(path).suffix.lower()
    if suffix in (".csv", ".json"):
        return suffix[1:]
    if requested in ("csv", "json"):
        return requested
    raise LocalInputError(f"--output {path}: name a .csv or .json file (or add --format csv|json)")


def build_query_run(args: argparse.Namespace) -> ApiRequest:
    """`query run NAME SQL` or `query run NAME --saved QUERY`; CSV output streams the result."""
    if (args.sql is None) == (args.saved is None):
        raise LocalInputError("give either SQL or --saved QUERY_NAME")
    fmt = output_format(args.output, args.format)
    stream = fmt == "csv" and args.output is not None
    body: dict[str, Any] = {}
    if args.limit is not None:
        body["limit"] = args.limit
    if stream:
        body["format"] = "csv"
    if args.saved is not None:
        path = f"{_exp(args.name)}/queries/{_seg(args.saved)}/run"
        return ApiRequest("POST", path, body, stream=stream)
    sql = sys.stdin.read() if args.sql == "-" else args.sql
    return ApiRequest("POST", f"{_exp(args.name)}/query", {"sql": sql, **body}, stream=stream)


def write_output(ctx: Context, args: argparse.Namespace, answer: Any) -> bool:
    """Write the answer to `--output` when one is given; True if it did."""
    if args.output is None:
        return False
    fmt = output_format(args.output, args.format)
    try:
        if fmt == "csv":
            with open(args.output, "wb") as sink:
                for chunk in answer:
                    sink.write(chunk)
            what = f"{Path(args.output).stat().st_size:,} bytes"
        else:
            Path(args.output).write_text(render.query_json(answer) + "\n", encoding="utf-8")
            what = f"{int(answer.get('row_count', 0)):,} rows"
    except OSError as exc:
        raise LocalInputError(f"cannot write {args.output}: {exc.strerror or exc}") from exc
    ctx.note(f"wrote {args.output} ({fmt}, {what})")
    return True


def register_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--saved", metavar="QUERY_NAME", help="run a saved query instead of SQL")
    parser.add_argument(
        "--output", "-o", metavar="FILE", help="write the result to FILE (.csv or .json)"
    )
