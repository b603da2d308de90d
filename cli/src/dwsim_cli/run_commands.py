"""`dw-sim experiment reset|load` and `dw-sim runs retry`: one REST call each (plus polling)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from dwsim_cli import commands
from dwsim_cli.api import _experiment_path, _segment
from dwsim_cli.client import ApiRequest
from dwsim_cli.errors import EXIT_OK, LocalInputError


def reset_request(name: str, workspace: bool = False) -> ApiRequest:
    """POST /api/experiments/{name}/reset (`workspace`: the workspace's objects go too)."""
    return ApiRequest(
        "POST", f"{_experiment_path(name)}/reset", {"workspace": True} if workspace else {}
    )


def load_request(name: str, run_id: int | None = None, workspace: bool = False) -> ApiRequest:
    """POST /api/experiments/{name}/load; without a run id, the latest completed generate run."""
    body: dict[str, Any] = {} if run_id is None else {"run_id": run_id}
    if workspace:
        body["workspace"] = True
    return ApiRequest("POST", f"{_experiment_path(name)}/load", body)


def retry_request(name: str, run_id: int) -> ApiRequest:
    """POST /api/experiments/{name}/runs/{run_id}/retry."""
    return ApiRequest("POST", f"{_experiment_path(name)}/runs/{_segment(run_id)}/retry", {})


def confirm(question: str, ask: Callable[[str], str] | None = None) -> bool:
    """Ask on stderr, read one answer on stdin; only y / yes agrees."""
    if ask is None:
        if not sys.stdin.isatty():
            return False

        def ask(prompt: str) -> str:
            sys.stderr.write(prompt)
            sys.stderr.flush()
            return sys.stdin.readline()

    return ask(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def build_reset(args: argparse.Namespace) -> ApiRequest:
    if (
        not args.yes
        and not getattr(args, "print_curl", False)
        and not confirm(
            f"Empty every table of {args.name!r} (the schema and runs are kept)"
            + (" and drop everything in its workspace?" if args.workspace else "?")
        )
    ):
        raise LocalInputError("reset not confirmed: nothing was changed (use --yes to skip asking)")
    return reset_request(args.name, args.workspace)


def show_reset(ctx: commands.Context, args: argparse.Namespace, answer: Any) -> int:
    if ctx.as_json:
        ctx.print_json(answer)
        return EXIT_OK
    tables = answer.get("tables_emptied") or []
    if not tables:
        ctx.print(f"{args.name} has no live data: nothing to reset")
    else:
        ctx.print(f"emptied {len(tables)} tables of {args.name}: {', '.join(tables)}")
    if answer.get("workspace_cleared"):
        ctx.print(f"dropped everything in the workspace of {args.name}")
    return EXIT_OK


def build_load(args: argparse.Namespace) -> ApiRequest:
    return load_request(args.name, args.run, args.workspace)


def build_retry(args: argparse.Namespace) -> ApiRequest:
    return retry_request(args.name, args.run_id)


def add_commands(exp_sub: Any, runs_sub: Any, leaf: Callable[..., argparse.ArgumentParser]) -> None:
    """Register the commands on the `experiment` and `runs` groups of the parser."""
    p = leaf(
        exp_sub,
        "reset",
        "empty every table of the live data (asks first; the schema and runs are kept)",
        build_reset,
        show_reset,
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    p.add_argument(
        "--workspace", action="store_true",
        help="also drop the tables and views in the experiment's workspace (kept by default)",
    )  # fmt: skip
    p = leaf(
        exp_sub,
        "load",
        "load an earlier run's Parquet into the warehouse again (default: the latest completed)",
        build_load,
        commands.show_generate,
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument("--run", type=int, default=None, metavar="N", help="the generate run to load")
    p.add_argument(
        "--workspace", action="store_true",
        help="also drop the tables and views in the experiment's workspace (kept by default)",
    )  # fmt: skip
    _wait_options(p)
    p = leaf(
        runs_sub,
        "retry",
        "run the unfinished shards of a FAILED run again (its loaded shards are kept)",
        build_retry,
        commands.show_generate,
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument("run_id", metavar="RUN_ID", type=int)
    _wait_options(p)


def _wait_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--wait", action="store_true", help="poll the run until it ends")
    p.add_argument("--timeout", type=float, default=None, metavar="SECONDS")
    p.add_argument("--poll-interval", type=float, default=1.0, metavar="S")
