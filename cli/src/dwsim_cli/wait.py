"""Polling a run until it reaches a terminal status."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from dwsim_cli.errors import WaitTimeout

TERMINAL_STATUSES = frozenset({"COMPLETED", "COMPLETED_WITH_WARNINGS", "FAILED", "ABORTED"})


def wait_for_run(
    fetch: Callable[[], dict[str, Any]],
    *,
    timeout: float | None,
    poll_interval: float,
    on_update: Callable[[dict[str, Any]], None] = lambda run: None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Call `fetch` until the run it returns is terminal, and return that run.

    `on_update` sees every fetched run. Raises `WaitTimeout` (carrying the last run)
    once `timeout` seconds have passed without a terminal status; None waits forever.
    """
    deadline = None if timeout is None else clock() + timeout
    while True:
        run = fetch()
        on_update(run)
        if run.get("status") in TERMINAL_STATUSES:
            return run
        if deadline is not None:
            remaining = deadline - clock()
            if remaining <= 0:
                raise WaitTimeout(
                    f"run {run.get('run_id')} of {run.get('experiment')} still "
                    f"{run.get('status')} after {timeout:g} s; it goes on in the background",
                    run,
                )
            sleep(min(poll_interval, remaining))
        else:
            sleep(poll_interval)
