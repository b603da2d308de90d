"""Loaded (through PYTHONPATH) by processes that run under libfaketime with real monotonic
clocks (`dwsim_shared.testing.stacks.faked_clock`): libfaketime 0.9.10 fails the
`clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME)` that `time.sleep` makes with EINVAL, so sleep
waits in `select` instead (which it passes through untouched)."""

import select
import time


def _sleep(seconds: float) -> None:
    select.select([], [], [], max(0.0, float(seconds)))


time.sleep = _sleep  # type: ignore[assignment]
