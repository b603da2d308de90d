"""The validation report of a run: the plan's checks, run in the warehouse after loading."""

from dwsim_shared.reports.run_report import (
    complete_with_report,
    compute_report,
    report_run,
    verdict,
)

__all__ = ["complete_with_report", "compute_report", "report_run", "verdict"]
