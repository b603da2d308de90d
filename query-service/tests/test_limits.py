"""The query service's own bounds: answer bytes and wall time."""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from typing import Any

import pytest

from dwsim_query import bounds
from dwsim_shared.errors import QueryTimeout


def test_rows_past_the_byte_cap_are_dropped_and_flagged() -> None:
    rows = [["x" * 100] for _ in range(100)]
    kept, cut = bounds.within_bytes(rows, 1_000)
    assert cut and 5 <= len(kept) < 10 and kept == rows[: len(kept)]
    assert bounds.within_bytes(rows, 10**6) == (rows, False)


def test_a_query_the_engine_does_not_stop_is_answered_504_after_the_grace(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bounds, "GRACE_S", 0.2)
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match=r"longer than 0.3 s \(DWSIM_QUERY_TIMEOUT_S\)"):
        _run(bounds.within_time(0.3, time.sleep, 3))
    assert time.monotonic() - started < 1.5
    assert _run(bounds.within_time(1, lambda: 42)) == 42


def _run(coroutine: Any) -> Any:
    """`asyncio.run` in a thread of its own: a browser test on the same pytest-xdist worker
    leaves Playwright's event loop running in the main thread."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
