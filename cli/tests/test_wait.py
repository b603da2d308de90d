from __future__ import annotations

from typing import Any

import pytest

from dwsim_cli.errors import WaitTimeout
from dwsim_cli.wait import wait_for_run


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _fetcher(*statuses: str) -> Any:
    runs = iter([{"run_id": 1, "experiment": "e", "status": s} for s in statuses])
    return lambda: next(runs)


@pytest.mark.parametrize("final", ["COMPLETED", "FAILED", "ABORTED"])
def test_returns_the_first_terminal_run(final: str) -> None:
    time = FakeTime()
    seen: list[str] = []
    run = wait_for_run(
        _fetcher("QUEUED", "RUNNING", "RUNNING", final, "RUNNING"),
        timeout=None,
        poll_interval=2.0,
        on_update=lambda r: seen.append(r["status"]),
        clock=time.clock,
        sleep=time.sleep,
    )
    assert run["status"] == final
    assert seen == ["QUEUED", "RUNNING", "RUNNING", final]
    assert time.sleeps == [2.0, 2.0, 2.0]


def test_terminal_at_first_poll_does_not_sleep() -> None:
    time = FakeTime()
    wait_for_run(
        _fetcher("COMPLETED"), timeout=5, poll_interval=1, clock=time.clock, sleep=time.sleep
    )
    assert time.sleeps == []


def test_timeout_raises_with_the_last_run_and_never_oversleeps() -> None:
    time = FakeTime()
    fetches = 0

    def fetch() -> dict[str, Any]:
        nonlocal fetches
        fetches += 1
        return {"run_id": 9, "experiment": "shop", "status": "RUNNING"}

    with pytest.raises(WaitTimeout) as exc:
        wait_for_run(fetch, timeout=5.0, poll_interval=2.0, clock=time.clock, sleep=time.sleep)
    assert time.sleeps == [2.0, 2.0, 1.0]
    assert fetches == 4  # one last look at the deadline
    assert exc.value.last_run["run_id"] == 9
    assert "run 9 of shop still RUNNING after 5 s" in str(exc.value)
    assert exc.value.exit_code == 4
