"""A run's validation report: the checks run in the warehouse after loading, and recomputing them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from dwsim_gateway.deps import ExperimentDep, RunDep, RunStatusDep, RuntimeDep, SessionDep
from dwsim_shared.errors import NotFound
from dwsim_shared.reports import report_run, verdict
from dwsim_shared.state.models import RunRow

router = APIRouter(tags=["reports"])


def _report_view(run: RunRow, experiment: str) -> dict[str, Any]:
    report = run.report or {}
    return {
        "run_id": run.number,
        "experiment": experiment,
        "status": run.status,
        "plan_digest": run.plan_digest,
        "verdict": verdict(run.report),
        **report,
    }


@router.get("/{name}/runs/{run_id}/report")
def show_report(row: ExperimentDep, run: RunDep) -> dict[str, Any]:
    """Each check of the run: what, expected, observed, pass; 404 until the run has a report."""
    if run.report is None:
        raise NotFound(
            f"run {run.number} of {row.name!r} has no report yet (status {run.status}); "
            "a report is made when a run completes",
            run_id=run.number,
        )
    return _report_view(run, row.name)


@router.post("/{name}/runs/{run_id}/report")
async def recompute_report(
    row: ExperimentDep, run: RunDep, session: SessionDep, rt: RuntimeDep, cache: RunStatusDep
) -> dict[str, Any]:
    """Run the checks again in the warehouse (e.g. after the tables were changed by SQL)."""
    await run_in_threadpool(report_run, rt, run.id, recompute=True)
    cache.forget(
        row.name, run.number
    )  # the status follows the report: polls must not see the old one
    session.refresh(run)
    return _report_view(run, row.name)
