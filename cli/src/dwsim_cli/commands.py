"""What each command sends (`build_*`) and how it shows the answer (`show_*`)."""

from __future__ import annotations

import argparse
import codecs
import json
import shlex
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console

from dwsim_cli import api, render
from dwsim_cli.client import ApiRequest, GatewayClient
from dwsim_cli.errors import (
    EXIT_CLIENT_ERROR,
    EXIT_OK,
    LocalInputError,
    RunNotCompleted,
    WaitTimeout,
)
from dwsim_cli.progress import ProgressPrinter
from dwsim_cli.wait import wait_for_run

PIPE_WIDTH = 200


@dataclass
class Context:
    """Everything a `show_*` function may use: the client, the streams, the clocks."""

    client: GatewayClient
    out: TextIO
    err: TextIO
    as_json: bool = False
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep

    @cached_property
    def console(self) -> Console:
        """Rich console on `out`, never interpreting markup or emoji codes in data."""
        # Piped output has no terminal width; rich would assume 80 and cut cells.
        width = None if self.out.isatty() else PIPE_WIDTH
        return Console(file=self.out, width=width, highlight=False, markup=False, emoji=False)

    def print(self, text: str = "") -> None:
        """Write a plain line to stdout (not wrapped by rich)."""
        self.out.write(text + "\n")

    def note(self, text: str) -> None:
        """Write a line to stderr, flushed at once (progress must show while waiting)."""
        self.err.write(text + "\n")
        self.err.flush()

    def print_json(self, value: Any) -> None:
        """Write a JSON value to stdout."""
        self.print(json.dumps(value, indent=2, ensure_ascii=False))


ShowFn = Callable[[Context, argparse.Namespace, Any], int]


# --- experiment ---------------------------------------------------------------


def read_text(file: str, stdin: TextIO | None = None) -> str:
    """The UTF-8 content of a path exactly as stored (no newline translation), or stdin for `-`."""
    try:
        if file == "-":
            return (stdin or sys.stdin).read()
        return Path(file).read_bytes().decode("utf-8")
    except OSError as exc:
        raise LocalInputError(f"cannot read {file}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        where = "stdin" if file == "-" else file
        raise LocalInputError(f"{where} is not UTF-8 text: {exc.reason}") from exc


def read_document(file: str, stdin: TextIO | None = None) -> Any:
    """Read and parse the JSON experiment document from a path, or stdin for `-`."""
    text = read_text(file, stdin)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = "stdin" if file == "-" else file
        raise LocalInputError(
            f"{where} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc


def show_warnings(ctx: Context, answer: dict[str, Any]) -> None:
    """Print the answer's top-level and per-table warnings, one `warning: ...` line each."""
    for line in render.warning_lines(answer):
        ctx.print(line)


def build_experiment_create(args: argparse.Namespace) -> ApiRequest:
    return api.create_experiment(read_document(args.file))


def show_experiment_created(ctx: Context, args: argparse.Namespace, answer: Any) -> int:
    if ctx.as_json:
        ctx.print_json(answer)
        return EXIT_OK
    tables = answer.get("tables") or []
    ctx.print(
        f"created experiment {answer.get('name')} "
        f"(warehouse {answer.get('target_warehouse')}, {len(tables)} tables)"
    )
    return EXIT_OK


def build_experiment_import_sql(args: argparse.Namespace) -> ApiRequest:
    return api.import_sql(
        args.name,
        read_text(args.file),
        args.dialect,
        target_rows=args.target_rows,
        rows=args.rows,
        target_warehouse=args.target_warehouse,
        locale=args.locale,
        seed=args.seed,
    )


def show_experiment_imported(ctx: Context, args: argparse.Namespace, answer: Any) -> int:
    if ctx.as_json:
        ctx.print_json(answer)
        return EXIT_OK
    experiment = answer.get("experiment") or {}
    tables = experiment.get("tables") or []
    dialect = experiment.get("source_dialect") or args.dialect
    ctx.print(
        f"created experiment {experiment.get('name')} from {dialect} DDL: {len(tables)} tables"
    )
    if tables:
        ctx.console.print(render.experiment_tables_table(tables))
    for line in render.inferred_lines(tables):
        ctx.print(line)
    show_warnings(ctx, answer)
    return EXIT_OK


def build_experiment_validate(args: argparse.Namespace) -> ApiRequest:
    if args.dialect is not None:
        return api.validate_sql(read_text(args.file), args.dialect, args.name)
    if args.name is not None:
        raise LocalInputError("--name needs --dialect: a JSON document carries its own name")
    return api.validate_experiment(read_document(args.file))


def show_experiment_validated(ctx: Context, args: argparse.Namespace, answer: Any) -> int:
    if ctx.as_json:
        ctx.print_json(answer)
        return EXIT_OK
    tables = (answer.get("experiment") or {}).get("tables") or []
    ctx.print(f"valid: {len(tables)} tables")
    show_warnings(ctx, answer)
    return EXIT_OK


def build_experiment_update(args: argparse.Namespace) -> ApiRequest:
    return api.replace_experiment(args.name, read_document(args.file))


def show_experiment_updated(ctx: Context, args: argparse.Namespace, answer: Any) -> int:
    if ctx.as_json:
        ctx.print_json(answer)
        return EXIT_OK
    ctx.print(f"updated experiment {args.name}")
    return EXIT_OK


def build_experiment_list(args: argparse.Namespace) -> ApiRequest:
    return api.list_experiments()


def show_experiment_list(ctx: Context, args: argparse.Namespace, answer: Any) -> int:
    if ctx.as_json:
        ctx.print_json(answer)
        return EXIT_OK
    experiments = answer.get("experiments") or []
    if experiments:
        ctx.console.print(render.experiments_table(experiments))
    else:
        ctx.print("no experiments")
    return EXIT_OK


def build_experiment_show(args: argparse.Namespace) -> ApiRequest:
    return api.get_experiment(args.name)


def show_experiment_document(ctx: Context, args: argparse.Namespace, answer: Any) -> int:
    # The document is JSON in both modes, so `show NAME > f.json` feeds `create f.json`.
    ctx.print_json(answer)
    return EXIT_OK


def build_experiment_connect(args: argparse.Namespace) -> ApiRequest:
    return api.connection(args.name, rotate=args.rotate)


def _yaml(value: Any, indent: int = 0) -> list[str]:
    """A small mapping as YAML (JSON scalars are YAML scalars)."""
    lines = []
    for key, item in value.items():
        if isinstance(item, dict):
            lines += [" " * indent + f"{key}:", *_yaml(item, indent + 2)]
        else:
            lines.append(" " * indent + f"{key}: {json.dumps(item)}")
    return lines


def show_connection(ctx: Context, args: argparse.Namespace, answer: Any) -> int:
    if not answer.get("available"):
        if args.format == "json" or ctx.as_json:
            ctx.print_json(answer)
        ctx.note(answer.get("message", "this experiment has no wire endpoint"))
        return EXIT_CLIENT_ERROR
    if args.format == "json" or ctx.as_json:
        ctx.print_json(answer)
    elif args.format == "url":
        ctx.print(answer["url"])
        if answer.get("connect_args"):
            ctx.note(f"with create_engine(url, connect_args={answer['connect_args']!r})")
    elif args.format == "psql" and not answer.get("psql"):
        ctx.note(f"there is no psql for a {answer.get('engine')} endpoint: use --format url or dbt")
        return EXIT_CLIENT_ERROR
    elif args.format == "psql":
        ctx.print(answer["psql"])
    elif args.format == "env" and answer.get("engine") == "snowflake":
        for key in ("account", "host", "port", "protocol", "user", "password", "database",
                    "schema", "warehouse", "role"):  # fmt: skip
            ctx.print(f"export SNOWFLAKE_{key.upper()}={shlex.quote(str(answer[key]))}")
    elif args.format == "env":
        values = {"PGHOST": answer["host"], "PGPORT": answer["port"],
                  "PGDATABASE": answer["database"], "PGUSER": answer["user"],
                  "PGPASSWORD": answer["password"], "PGSSLMODE": answer["sslmode"]}  # fmt: skip
        for key, value in values.items():
            ctx.print(f"export {key}={shlex.quote(str(value))}")
    else:  # dbt: a profiles.yml with one target, named after the experiment
        profile = {"dwsim": {"target": args.name, "outputs": {args.name: answer["dbt_profile"]}}}
        ctx.print("\n".join(_yaml(profile)))
    return EXIT_OK


def build_experiment_delete(args: argparse.Namespace) -> ApiRequest:
    return api.delete_experiment(args.name)


def show_experiment_deleted(ctx: Context, args: argparse.Namespace, answer: Any) -> int:
    if ctx.as_json:
        if answer is not None:
            ctx.print_json(answer)
        return EXIT_OK
    ctx.print(f"deleted experiment {args.name}")
    for warning in (answer or {}).get("warnings", []):
        ctx.note(f"warning: {warning}")
    return EXIT_OK


def build_experiment_generate(args: argparse.Namespace) -> ApiRequest:
    return api.generate(args.name, args.rows, args.seed, args.shard_size)


def show_generate(ctx: Context, args: argparse.Namespace, answer: Any) -> int:
    if not args.wait:
        if ctx.as_json:
            ctx.print_json(answer)
        else:
            ctx.print(
                f"run {answer.get('run_id')} of {answer.get('experiment')}: {answer.get('status')}"
            )
            ctx.print(f"follow it with: dw-sim runs show {args.name} {answer.get('run_id')}")
        return EXIT_OK
    return wait_and_show(ctx, args.name, int(answer["run_id"]), args.timeout, args.poll_interval)


def wait_and_show(
    ctx: Context, name: str, run_id: int, timeout: float | None, poll_interval: float
) -> int:
    """Poll the run until terminal, show its final state; exit 0 only when COMPLETED."""
    request = api.get_run(name, run_id)
    progress = ProgressPrinter(ctx)
    try:
        run = wait_for_run(
            lambda: ctx.client.send(request),
            timeout=timeout,
            poll_interval=poll_interval,
            on_update=progress,
            clock=ctx.clock,
            sleep=ctx.sleep,
        )
    except WaitTimeout as exc:
        progress.close()
        show_run_state(ctx, exc.last_run)
        raise
    finally:
        progress.close()
    show_run_state(ctx, run)
    if run.get("status") != "COMPLETED":
        why = run.get("error") or run.get("verdict")
        reason = f": {why}" if why else ""
        raise RunNotCompleted(f"run {run_id} of {name} ended {run.get('status')}{reason}")
    return EXIT_OK


# --- runs ---------------------------------------------------------------------


def show_run_state(ctx: Context, run: dict[str, Any]) -> None:
    """A run as raw JSON, or as its status line, per-table rows and details."""
    if ctx.as_json:
        ctx.print_json(run)
        return
    ctx.print(render.run_status_line(run, ctx.now()))
    if run.get("tables"):
        ctx.console.print(render.run_tables_table(run))
    for line in render.run_detail_lines(run):
        ctx.print(line)


def build_runs_list(args: argparse.Namespace) -> ApiRequest:
    return api.list_runs(args.name)


def show_runs_list(ctx: Context, args: argparse.Namespace, answer: Any) -> int:
    if ctx.as_json:
        ctx.print_json(answer)
        return EXIT_OK
    runs = answer.get("runs") or []
    if runs:
        ctx.console.print(render.runs_table(runs, ctx.now()))
    else:
        ctx.print(f"no runs of {args.name}")
    return EXIT_OK


def build_runs_show(args: argparse.Namespace) -> ApiRequest:
    return api.get_run(args.name, args.run_id)


def build_runs_cancel(args: argparse.Namespace) -> ApiRequest:
    return api.cancel_run(args.name, args.run_id)


def show_run(ctx: Context, args: argparse.Namespace, answer: Any) -> int:
    show_run_state(ctx, answer)
    return EXIT_OK


# --- query --------------------------------------------------------------------


def build_query_run(args: argparse.Namespace) -> ApiRequest:
    sql = sys.stdin.read() if args.sql == "-" else args.sql
    return api.query(args.name, sql, args.limit)


def show_query_result(ctx: Context, args: argparse.Namespace, answer: Any) -> int:
    from dwsim_cli.workspace import write_output

    if write_output(ctx, args, answer):
        return EXIT_OK
    if ctx.as_json:
        ctx.print_json(answer)
        return EXIT_OK
    if args.format == "csv":
        ctx.out.write(render.query_csv(answer))
    elif args.format == "json":
        ctx.print(render.query_json(answer))
    else:
        ctx.console.print(render.query_table(answer))
        ctx.print(render.query_footer(answer))
        return EXIT_OK
    if answer.get("truncated"):
        ctx.note(render.query_footer(answer))
    return EXIT_OK


def build_query_export(args: argparse.Namespace) -> ApiRequest:
    sql = sys.stdin.read() if args.sql == "-" else args.sql
    return api.export_csv(args.name, sql, args.limit)


def save_stream(answer: Any, path: str) -> int:
    """Write a streamed answer to `path` as its bytes come; how many there were."""
    size = 0
    with open(path, "wb") as sink:
        for chunk in answer:
            sink.write(chunk)
            size += len(chunk)
    return size


def show_export(ctx: Context, args: argparse.Namespace, answer: Any) -> int:
    """Write the streamed CSV to --output (bytes as they come) or to stdout."""
    if args.output:
        size = save_stream(answer, args.output)
        # stderr: stdout stays the data channel; the user sees the export ended and where.
        ctx.note(f"wrote {args.output} ({render.byte_size(size)})")
        return EXIT_OK
    decoder = codecs.getincrementaldecoder("utf-8")()
    for chunk in answer:
        ctx.out.write(decoder.decode(chunk))
    ctx.out.write(decoder.decode(b"", final=True))
    return EXIT_OK
