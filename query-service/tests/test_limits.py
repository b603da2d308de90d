"""The query service's own bounds: answer bytes and wall time."""

from __future__ import annotations

import asyncio
import time

import pytest

from dwsim_query import limits
from dwsim_shared.errors import QueryTimeout


def test_rows_past_the_byte_cap_are_dropped_and_flagged() -> None:
    rows = [["x" * 100] for _ in range(100)]
    kept, cut = limits.within_bytes(rows, 1_000)
    assert cut and 5 <= len(kept) < 10 and kept == rows[: len(kept)]
    assert limits.within_bytes(rows, 10**6) == (rows, False)


def test_a_query_the_engine_does_not_stop_is_answered_504_after_the_grace(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(limits, "GRACE_S", 0.2)
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match=r"longer than 0.3 s \(DWSIM_QUERY_TIMEOUT_S\)"):
        asyncio.run(limits.within_time(0.3, time.sleep, 3))
    assert time.monotonic() - started < 1.5
    assert asyncio.run(limits.within_time(1, lambda: 42)) == 42
