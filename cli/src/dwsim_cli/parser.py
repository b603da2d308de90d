"""The argparse command tree; each leaf carries its `build` and `show` functions."""

from __future__ import annotations

import argparse
import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from dwsim_cli import bundles, commands, lineage, run_commands, workspace
from dwsim_cli.client import DEFAULT_URL, ApiRequest
from dwsim_cli.report import add_report_command

BuildFn = Callable[[argparse.Namespace], ApiRequest]

EPILOG = """\
environment:
  DWSIM_URL          gateway base URL (default http://127.0.0.1:8000)
  DWSIM_API_TOKEN    bearer token sent as Authorization

exit codes:
  0 success   1 API answered 4xx / bad local input   2 API answered 5xx or unreachable
  (2 also for command-line usage errors)   3 waited run ended FAILED or ABORTED
  4 --wait timed out   130 interrupted
"""

DIALECT_HELP = "SQL dialect: redshift, snowflake or postgres"

_ROWS_ITEM = re.compile(r"^([^=\s]+)=(\d+)$")


def rows_item(text: str) -> tuple[str, int]:
    """Parse one `--rows` value `table=n` (n a positive integer).

    >>> rows_item("customers=1000")
    ('customers', 1000)
    """
    match = _ROWS_ITEM.match(text.strip())
    if not match or int(match.group(2)) <= 0:
        raise argparse.ArgumentTypeError(
            f"expected TABLE=N with N a positive integer, got {text!r}"
        )
    return match.group(1), int(match.group(2))


def positive_int(text: str) -> int:
    """argparse type: an integer > 0."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a number of seconds > 0."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


_INVALID_CHOICE = re.compile(r"invalid choice: '([^']*)' \(choose from (.*)\)$")


class SuggestingParser(argparse.ArgumentParser):
    """argparse with "did you mean" for a mistyped command (Python 3.14's suggest_on_error;
    sub-commands inherit the class)."""

    def error(self, message: str) -> NoReturn:
        match = _INVALID_CHOICE.search(message)
        if match:
            choices = re.findall(r"'([^']*)'", match.group(2))
            close = difflib.get_close_matches(match.group(1), choices, n=1, cutoff=0.6)
            if close:
                message = f"{message}; did you mean '{close[0]}'?"
        super().error(message)


class _RowsAction(argparse.Action):
    """Collects `--rows a=1 b=2 --rows c=3` into one dict (a later value wins)."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        rows = dict(getattr(namespace, self.dest, None) or {})
        rows.update(values)
        setattr(namespace, self.dest, rows)


def _add_rows_option(parser: argparse.ArgumentParser, help_text: str) -> None:
    """`--rows TABLE=N ...`, repeatable, collected into one dict (None when not given)."""
    parser.add_argument(
        "--rows",
        nargs="+",
        type=rows_item,
        action=_RowsAction,
        default=None,
        metavar="TABLE=N",
        help=help_text,
    )


def _global_options() -> argparse.ArgumentParser:
    # SUPPRESS so that options given before and after the subcommand both count,
    # and a subcommand's parser never resets what the top-level parser has read.
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("global options")
    group.add_argument("--url", default=argparse.SUPPRESS, help="gateway base URL (env DWSIM_URL)")
    group.add_argument("--token", default=argparse.SUPPRESS, help="API token (env DWSIM_API_TOKEN)")
    group.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="print the raw JSON answer"
    )
    group.add_argument(
        "--print-curl",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print the equivalent curl command and call nothing",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    """The full `dw-sim` parser."""
    common = _global_options()
    parser: argparse.ArgumentParser = SuggestingParser(
        prog="dw-sim",
        description="Command-line client of the DW Simulator gateway.",
        parents=[common],
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    groups = parser.add_subparsers(dest="group", required=True, metavar="COMMAND")

    def leaf(
        sub: Any, name: str, help_text: str, build: BuildFn, show: commands.ShowFn
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help_text, description=help_text)
        p.set_defaults(build=build, show=show)
        return p

    exp = groups.add_parser("experiment", parents=[common], help="manage experiments")
    exp_sub = exp.add_subparsers(dest="command", required=True, metavar="ACTION")
    p = leaf(
        exp_sub,
        "create",
        "create an experiment from a JSON document",
        commands.build_experiment_create,
        commands.show_experiment_created,
    )
    p.add_argument("file", metavar="FILE", help="JSON document, or - for stdin")
    p = leaf(
        exp_sub,
        "import-sql",
        "create an experiment from CREATE TABLE statements, inferring generation rules",
        commands.build_experiment_import_sql,
        commands.show_experiment_imported,
    )
    p.add_argument("file", metavar="FILE", help="DDL file, or - for stdin")
    p.add_argument("--name", required=True, metavar="NAME", help="name of the new experiment")
    p.add_argument("--dialect", required=True, metavar="DIALECT", help=DIALECT_HELP)
    p.add_argument(
        "--target-warehouse", default=None, metavar="WAREHOUSE", help="e.g. sqlite, redshift"
    )
    _add_rows_option(p, "rows to generate per table (repeatable)")
    p.add_argument(
        "--target-rows", type=positive_int, default=None, metavar="N", help="rows of every table"
    )
    p.add_argument("--locale", default=None, help="Faker locale (server default en_US)")
    p.add_argument("--seed", type=int, default=None, help="default random seed")
    p = leaf(
        exp_sub,
        "validate",
        "check an experiment document, or DDL with --dialect, saving nothing",
        commands.build_experiment_validate,
        commands.show_experiment_validated,
    )
    p.add_argument(
        "file", metavar="FILE", help="JSON document (DDL with --dialect), or - for stdin"
    )
    p.add_argument(
        "--dialect", default=None, metavar="DIALECT", help=f"FILE is DDL in this {DIALECT_HELP}"
    )
    p.add_argument("--name", default=None, metavar="NAME", help="with --dialect: experiment name")
    leaf(
        exp_sub,
        "list",
        "list experiments",
        commands.build_experiment_list,
        commands.show_experiment_list,
    )
    p = leaf(
        exp_sub,
        "show",
        "print an experiment's document",
        commands.build_experiment_show,
        commands.show_experiment_document,
    )
    p.add_argument("name", metavar="NAME")
    p = leaf(
        exp_sub,
        "connect",
        "connection details of the experiment's wire endpoint (psql, drivers, SQLAlchemy, dbt)",
        commands.build_experiment_connect,
        commands.show_connection,
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument(
        "--format", choices=["json", "env", "url", "psql", "dbt"], default="json",
        help="json (all details), env (PG* variables), url (SQLAlchemy), psql (a command line), "
        "dbt (a profiles.yml)",
    )  # fmt: skip
    p.add_argument("--rotate", action="store_true", help="give the experiment a new password first")
    p = leaf(
        exp_sub,
        "update",
        "replace an experiment's document (same name) with a JSON document",
        commands.build_experiment_update,
        commands.show_experiment_updated,
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument("file", metavar="FILE", help="JSON document, or - for stdin")
    p = leaf(
        exp_sub,
        "delete",
        "delete an experiment with its runs and data",
        commands.build_experiment_delete,
        commands.show_experiment_deleted,
    )
    p.add_argument("name", metavar="NAME")
    p = leaf(
        exp_sub,
        "generate",
        "start a generate run",
        commands.build_experiment_generate,
        commands.show_generate,
    )
    p.add_argument("name", metavar="NAME")
    _add_rows_option(p, "row count override per table (repeatable)")
    p.add_argument("--seed", type=int, default=None, help="random seed")
    p.add_argument("--shard-size", type=positive_int, default=None, help="rows per shard")
    p.add_argument("--wait", action="store_true", help="poll the run until it ends")
    p.add_argument(
        "--timeout",
        type=positive_float,
        default=None,
        metavar="SECONDS",
        help="with --wait: give up after this long (default: no limit)",
    )
    p.add_argument(
        "--poll-interval",
        type=positive_float,
        default=1.0,
        metavar="S",
        help="with --wait: seconds between polls (default 1)",
    )

    runs = groups.add_parser("runs", parents=[common], help="inspect runs")
    runs_sub = runs.add_subparsers(dest="command", required=True, metavar="ACTION")
    p = leaf(
        runs_sub,
        "list",
        "list an experiment's runs, newest first",
        commands.build_runs_list,
        commands.show_runs_list,
    )
    p.add_argument("name", metavar="NAME")
    p = leaf(runs_sub, "show", "show one run", commands.build_runs_show, commands.show_run)
    p.add_argument("name", metavar="NAME")
    p.add_argument("run_id", metavar="RUN_ID", type=positive_int)
    p = leaf(
        runs_sub,
        "cancel",
        "abort an active run (its remaining shards are skipped)",
        commands.build_runs_cancel,
        commands.show_run,
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument("run_id", metavar="RUN_ID", type=positive_int)
    add_report_command(runs_sub, leaf)

    run_commands.add_commands(exp_sub, runs_sub, leaf)  # experiment reset|load, runs retry
    lineage.add_commands(exp_sub, leaf)  # experiment lineage|lineage-diff
    bundles.add_commands(exp_sub, leaf)  # experiment export|import-bundle

    query = groups.add_parser("query", parents=[common], help="query an experiment's warehouse")
    query_sub = query.add_subparsers(dest="command", required=True, metavar="ACTION")
    p = leaf(
        query_sub,
        "run",
        "run one SQL statement (or a saved query with --saved)",
        workspace.build_query_run,
        commands.show_query_result,
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument("sql", metavar="SQL", nargs="?", help="the statement, or - for stdin")
    workspace.register_output_options(p)
    export = leaf(
        query_sub,
        "export",
        "stream a whole result as CSV (no row cap unless --limit)",
        commands.build_query_export,
        commands.show_export,
    )
    export.add_argument("name", metavar="NAME")
    export.add_argument("sql", metavar="SQL", help="the statement, or - for stdin")
    export.add_argument("--limit", type=positive_int, metavar="N", help="at most N rows")
    export.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")
    p.add_argument("--limit", type=positive_int, default=None, help="maximum rows returned")
    p.add_argument(
        "--format", choices=("table", "json", "csv"), default="table", help="output format"
    )
    from dwsim_cli.workspace_parser import add_workspace_commands

    add_workspace_commands(groups, common, exp_sub, query_sub, leaf)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("dwsim-cli")
    except PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True)
class GlobalOptions:
    """Global options after applying environment defaults."""

    url: str
    token: str | None
    as_json: bool
    print_curl: bool


def resolve_globals(args: argparse.Namespace, env: Mapping[str, str]) -> GlobalOptions:
    """Fill in what the command line left out from `DWSIM_URL` / `DWSIM_API_TOKEN`."""
    url = getattr(args, "url", None) or env.get("DWSIM_URL") or DEFAULT_URL
    token = getattr(args, "token", None)
    if token is None:
        token = env.get("DWSIM_API_TOKEN")
    return GlobalOptions(
        url=url,
        token=token or None,
        as_json=getattr(args, "json", False),
        print_curl=getattr(args, "print_curl", False),
    )


def parse_args(
    argv: list[str] | None, env: Mapping[str, str]
) -> tuple[argparse.Namespace, GlobalOptions]:
    """Parse the command line; exits with status 2 on a usage error, like argparse."""
    parser = build_parser()
    args = parser.parse_args(argv)
    options = resolve_globals(args, env)
    if not re.match(r"^https?://[^/]", options.url):
        parser.error(f"--url must be an http:// or https:// URL, got {options.url!r}")
    return args, options
