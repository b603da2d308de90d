"""Bounds on what one query may cost the query service: answer size and wall time."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi.concurrency import run_in_threadpool

from dwsim_shared.errors import QueryTimeout

T = TypeVar("T")
# How long past the engine's own limit the service waits before answering 504 anyway: the
# engine stops the statement itself, this only guards against one that does not.
GRACE_S = 5.0


def within_bytes(rows: list[list[Any]], byte_cap: int) -> tuple[list[list[Any]], bool]:
    """The leading rows whose JSON fits in `byte_cap` bytes, and whether any were dropped."""
    size = 0
    for index, row in enumerate(rows):
        size += len(json.dumps(row, default=str)) + 1
        if size > byte_cap:
            return rows[:index], True
    return rows, False


async def within_time(limit_s: float, function: Callable[..., T], *args: Any) -> T:
    """`function(*args)` in a worker thread; `QueryTimeout` naming the limit if it has not
    answered `GRACE_S` seconds after it."""
    try:
        return await asyncio.wait_for(run_in_threadpool(function, *args), limit_s + GRACE_S)
    except TimeoutError:
        raise QueryTimeout(
            f"query ran longer than {limit_s:g} s (DWSIM_QUERY_TIMEOUT_S)", limit_s=limit_s
        ) from None
