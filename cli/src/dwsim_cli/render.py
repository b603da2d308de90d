"""Human output: run status lines, rich tables, query results, error messages."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

from rich.table import Table
from rich.text import Text

from dwsim_cli.errors import ApiError, CliError


def _count(value: Any) -> str:
    return "-" if value is None else str(value)


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def run_duration(run: dict[str, Any], now: datetime | None = None) -> float | None:
    """Seconds from start to finish, or so far for an unfinished run; None if not started."""
    started = _parse_time(run.get("started_at"))
    if started is None:
        return None
    finished = _parse_time(run.get("finished_at")) or now or datetime.now(UTC)
    return max((finished - started).total_seconds(), 0.0)


def timestamp(value: Any) -> str:
    """An API timestamp to the second, in UTC: `2026-12-06 11:20:03`."""
    parsed = _parse_time(value)
    if parsed is None:
        return _count(value)
    return parsed.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _thousands(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else _count(value)


# Loading starts after the first shards are generated, so the first loaded rows make the
# rate look tiny and the ETA huge: no ETA until this share of the rows is loaded.
ETA_AFTER_FRACTION = 0.1


def run_rate(run: dict[str, Any], now: datetime | None = None) -> tuple[float, float | None]:
    """(rows loaded per second so far, seconds left at that rate or None when unknown)."""
    totals = run.get("totals") or {}
    loaded = totals.get("loaded_rows") or 0
    target = totals.get("target_rows") or 0
    duration = run_duration(run, now)
    if not duration or not loaded:
        return 0.0, None
    rate = loaded / duration
    if loaded < ETA_AFTER_FRACTION * target:
        return rate, None
    return rate, max(target - loaded, 0) / rate


def byte_size(n: int) -> str:
    """`512 bytes`, `3.4 KiB`, `26.1 MiB`."""
    if n < 1024:
        return f"{n:,} bytes"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n / (1024 * 1024):.1f} MiB"


def run_status_line(run: dict[str, Any], now: datetime | None = None) -> str:
    """`run 7 of shop: RUNNING  500 / 1,000 rows loaded (50%)  250 rows/s  ETA 2 s  (2.0 s)`."""
    totals = run.get("totals") or {}
    target = totals.get("target_rows")
    loaded = totals.get("loaded_rows")
    line = (
        f"run {run.get('run_id')} of {run.get('experiment')}: {run.get('status')}  "
        f"{_thousands(loaded)} / {_thousands(target)} rows loaded"
    )
    if isinstance(target, int) and isinstance(loaded, int):
        line += f" ({100 * loaded / target if target else 100:.0f}%)"
    generated = totals.get("generated_rows")
    if generated is not None and generated != loaded:
        line += f", {_thousands(generated)} generated"
    rate, eta = run_rate(run, now)
    if rate:
        line += f"  {rate:,.0f} rows/s"
    if eta is not None and run.get("status") in ("QUEUED", "RUNNING"):
        line += f"  ETA {eta:,.0f} s"
    duration = run_duration(run, now)
    if duration is not None:
        line += f"  ({duration:.1f} s)"
    if run.get("verdict"):
        line += f"  {run['verdict']}"
    elif run.get("published_at") and run.get("status") in ("QUEUED", "RUNNING"):
        line += "  published: the data is live and queryable; validation report running"
    return line


def _table(*headers: str) -> Table:
    # fold, not ellipsis: a narrow terminal must not hide digits of a count
    table = Table()
    for header in headers:
        table.add_column(Text(header), overflow="fold")
    return table


def _cell(value: Any) -> Text:
    # Text, not str: rich would read "[...]" in data as markup.
    if value is None:
        return Text("NULL", style="dim")
    if isinstance(value, dict | list):
        return Text(json.dumps(value, ensure_ascii=False))
    if isinstance(value, bool):  # as the warehouses print a BOOLEAN, not Python's True
        return Text("true" if value else "false")
    return Text(str(value))


def run_tables_table(run: dict[str, Any]) -> Table:
    """Per-table progress of one run."""
    table = _table(
        "table", "target", "generated", "loaded", "shards", "shards loaded", "shards failed"
    )
    for column in table.columns[1:]:
        column.justify = "right"
    for name, counts in (run.get("tables") or {}).items():
        table.add_row(
            _cell(name),
            *(
                Text(_thousands(counts.get(key)))
                for key in (
                    "target_rows",
                    "generated_rows",
                    "loaded_rows",
                    "shards",
                    "shards_loaded",
                    "shards_failed",
                )
            ),
        )
    return table


def run_detail_lines(run: dict[str, Any]) -> list[str]:
    """Extra lines shown under a run's tables: its error and where its objects are."""
    lines = []
    if run.get("error"):
        lines.append(f"error: {run['error']}")
    if run.get("objects"):
        lines.append(f"objects: {run['objects']}")
    return lines


def runs_table(runs: list[dict[str, Any]], now: datetime | None = None) -> Table:
    """One row per run, newest first as the API returns them."""
    table = _table("run", "kind", "status", "target", "generated", "loaded", "created", "seconds")
    for index in (0, 3, 4, 5, 7):
        table.columns[index].justify = "right"
    for run in runs:
        totals = run.get("totals") or {}
        duration = run_duration(run, now)
        table.add_row(
            _cell(run.get("run_id")),
            _cell(run.get("kind")),
            _cell(run.get("status")),
            Text(_thousands(totals.get("target_rows"))),
            Text(_thousands(totals.get("generated_rows"))),
            Text(_thousands(totals.get("loaded_rows"))),
            Text(timestamp(run.get("created_at"))),
            Text("-") if duration is None else Text(f"{duration:.1f}"),
        )
    return table


def _table_names(tables: Any) -> str:
    if isinstance(tables, list):
        return ", ".join(str(t.get("name") if isinstance(t, dict) else t) for t in tables)
    return _count(tables)


def experiments_table(experiments: list[dict[str, Any]]) -> Table:
    """One row per experiment of GET /api/experiments."""
    table = _table("name", "dialect", "warehouse", "tables", "last run", "created")
    for exp in experiments:
        last = exp.get("last_run")
        table.add_row(
            _cell(exp.get("name")),
            _cell(exp.get("source_dialect")),
            _cell(exp.get("target_warehouse")),
            Text(_table_names(exp.get("tables"))),
            Text(f"{last.get('run_id')} {last.get('status')}" if last else "-"),
            Text(timestamp(exp.get("created_at"))),
        )
    return table


def _names(columns: Any) -> str:
    return ", ".join(str(c) for c in columns) if isinstance(columns, list) else str(columns)


def _unique_keys(table: dict[str, Any]) -> list[list[Any]]:
    """Unique column sets of a table (unique columns, constraints, composite keys), once each."""
    columns = table.get("columns") or []
    candidates = [[c.get("name")] for c in columns if c.get("is_unique")]
    candidates += table.get("unique_constraints") or []
    candidates += table.get("composite_keys") or []
    keys: list[list[Any]] = []
    for key in candidates:
        if key != table.get("primary_key") and key not in keys:
            keys.append(key)
    return keys


def table_keys(table: dict[str, Any]) -> str:
    """`PK (id); UNIQUE (email); FK (ref_id) -> customers (id)`, or `-` for none."""
    keys = []
    if table.get("primary_key"):
        keys.append(f"PK ({_names(table['primary_key'])})")
    keys += [f"UNIQUE ({_names(key)})" for key in _unique_keys(table)]
    for column in table.get("columns") or []:
        fk = column.get("foreign_key")
        if fk:
            keys.append(
                f"FK ({column.get('name')}) -> "
                f"{fk.get('references_table')} ({fk.get('references_column')})"
            )
    for fk in table.get("foreign_keys") or []:
        keys.append(
            f"FK ({_names(fk.get('columns'))}) -> "
            f"{fk.get('references_table')} ({_names(fk.get('references_columns'))})"
        )
    return "; ".join(keys) or "-"


def experiment_tables_table(tables: list[dict[str, Any]]) -> Table:
    """One row per table of an experiment document: columns, target rows, keys."""
    table = _table("table", "columns", "target_rows", "keys")
    for index in (1, 2):
        table.columns[index].justify = "right"
    for spec in tables:
        table.add_row(
            _cell(spec.get("name")),
            Text(str(len(spec.get("columns") or []))),
            _cell(spec.get("target_rows")),
            Text(table_keys(spec)),
        )
    return table


def _rule(column: dict[str, Any], rule: str) -> str:
    value = column.get(rule)
    if value is None:
        return rule
    shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return f"{rule}={shown}"


def inferred_lines(tables: list[dict[str, Any]]) -> list[str]:
    """`customers.email: faker_rule=email (inferred)`, one line per column with inferred rules."""
    lines = []
    for table in tables:
        for column in table.get("columns") or []:
            rules = column.get("inferred") or []
            if rules:
                described = ", ".join(_rule(column, str(rule)) for rule in rules)
                lines.append(f"{table.get('name')}.{column.get('name')}: {described} (inferred)")
    return lines


def warning_lines(answer: dict[str, Any]) -> list[str]:
    """`warning: ...` per top-level warning, then `warning: <table>: ...` per table warning.

    A warning given both at the top and on its table is shown once.
    """
    lines = [f"warning: {warning}" for warning in answer.get("warnings") or []]
    for table in (answer.get("experiment") or {}).get("tables") or []:
        name = table.get("name")
        lines += [f"warning: {name}: {warning}" for warning in table.get("warnings") or []]
    return list(dict.fromkeys(lines))


def query_table(result: dict[str, Any]) -> Table:
    """Query result as a rich table; NULLs shown as NULL."""
    table = _table(*(str(name) for name in result.get("columns") or []))
    for row in result.get("rows") or []:
        table.add_row(*(_cell(v) for v in row))
    return table


def query_csv(result: dict[str, Any]) -> str:
    """Query result as CSV with a header line; NULL is the empty field."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(result.get("columns") or [])
    for row in result.get("rows") or []:
        writer.writerow(
            "" if v is None else json.dumps(v) if isinstance(v, dict | list | bool) else v
            for v in row
        )
    return buffer.getvalue()


def query_json(result: dict[str, Any]) -> str:
    """Query result as a JSON array of objects keyed by column name."""
    columns = result.get("columns") or []
    records = [dict(zip(columns, row, strict=False)) for row in result.get("rows") or []]
    return json.dumps(records, indent=2, ensure_ascii=False)


def query_footer(result: dict[str, Any]) -> str:
    """`3 rows` or `100 rows (truncated by the limit)`."""
    count = result.get("row_count", len(result.get("rows") or []))
    text = f"{count} row" + ("" if count == 1 else "s")
    if result.get("truncated"):
        text += " (truncated by the limit)"
    return text


def syntax_location(details: dict[str, Any]) -> str | None:
    """`at line 3, column 14: near 'FOO'` from a syntax error's details; None without any."""
    where = [f"{key} {details[key]}" for key in ("line", "column") if details.get(key) is not None]
    text = f"at {', '.join(where)}" if where else ""
    near = details.get("near")
    if near is not None and near != "":
        text += f"{': ' if text else ''}near {str(near)!r}"
    return text or None


def format_error(error: CliError) -> list[str]:
    """Lines for stderr: `error: <message>`, where a syntax error is, one line per problem."""
    if not isinstance(error, ApiError):
        return [f"error: {error}"]
    lines = [f"error: {error.message}"]
    location = syntax_location(error.details)
    if location:
        lines.append(f"  {location}")
    component = error.details.get("component")
    if component and str(component) not in error.message:
        lines.append(f"  component: {component}")
    problems = error.details.get("problems")
    for problem in problems if isinstance(problems, list) else []:
        if isinstance(problem, dict):
            lines.append(f"  {problem.get('path', '')}: {problem.get('message', '')}")
        else:
            lines.append(f"  {problem}")
    return lines
