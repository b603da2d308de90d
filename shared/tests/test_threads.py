"""`periodically`: work repeated beside a block, stopped with it."""

from __future__ import annotations

import threading
import time

from dwsim_shared.threads import periodically


def test_work_repeats_while_the_block_runs_and_stops_with_it() -> None:
    calls: list[float] = []
    enough = threading.Event()

    def work() -> None:
        calls.append(time.monotonic())
        if len(calls) >= 3:
            enough.set()

    with periodically(0.01, work, name="t", at_once=True):
        assert enough.wait(5)
    seen = len(calls)
    time.sleep(0.05)
    assert len(calls) == seen  # nothing after the block
    assert not any(t.name == "t" for t in threading.enumerate())


def test_false_ends_the_work_and_the_first_call_waits_a_period_unless_at_once() -> None:
    calls: list[str] = []
    started = time.monotonic()
    with periodically(0.2, lambda: calls.append("x") or False, name="u"):
        assert calls == []  # not at once
        while not calls and time.monotonic() - started < 5:
            time.sleep(0.01)
        time.sleep(0.5)
    assert calls == ["x"]  # False ended it after the first call
