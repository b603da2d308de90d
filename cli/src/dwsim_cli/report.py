"""`dw-sim runs report NAME RUN_ID [--recompute]`: a run's validation report, one line a check."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from dwsim_cli.client import ApiRequest
from dwsim_cli.errors import EXIT_OK

if TYPE_CHECKING:
    from dwsim_cli.commands import Context

EXIT_CHECKS_FAILED = 3  # as for a run that did not complete: scripts can tell


def build_runs_report(args: argparse.Namespace) -> ApiRequest:
    """GET (or, with --recompute, POST) /api/experiments/{name}/runs/{run_id}/report."""
    from dwsim_cli.api import _experiment_path, _segment

    path = f"{_experiment_path(args.name)}/runs/{_segment(args.run_id)}/report"
    return ApiRequest("POST" if args.recompute else "GET", path)


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def report_lines(report: dict[str, Any]) -> list[str]:
    lines = [
        f"run {report.get('run_id')} of {report.get('experiment')}: {report.get('status')}  "
        f"{report.get('verdict') or ''}"
    ]
    for check in report.get("checks") or []:
        mark = "ok  " if check["pass"] else "FAIL"
        lines.append(
            f"  {mark} {check['table']:<16} {check['check']:<14} {check['what']}  "
            f"expected {_value(check['expected'])}, observed {_value(check['observed'])}"
        )
    return lines


def show_run_report(ctx: Context, args: argparse.Namespace, answer: Any) -> int:
    if ctx.as_json:
        ctx.print_json(answer)
    else:
        for line in report_lines(answer):
            ctx.print(line)
    return EXIT_CHECKS_FAILED if answer.get("failed") or answer.get("error") else EXIT_OK


def add_report_command(runs_sub: Any, leaf: Any) -> None:
    p = leaf(
        runs_sub,
        "report",
        "a run's validation report: each check run in the warehouse, expected vs observed",
        build_runs_report,
        show_run_report,
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument("run_id", metavar="RUN_ID", type=int)
    p.add_argument(
        "--recompute", action="store_true", help="run the checks again in the warehouse first"
    )
