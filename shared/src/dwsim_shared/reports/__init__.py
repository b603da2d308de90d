"""The validation report of a run: the plan's checks, run in the warehouse after loading."""

from dwsim_shared.reports.run_report import (
    compute_report,
    published_report,
    report_run,
    run_contract,
    verdict,
)

__all__ = ["compute_report", "published_report", "report_run", "run_contract", "verdict"]
