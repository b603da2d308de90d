"""One endpoint (Redshift or Snowflake) as a process of its own, until SIGTERM or SIGINT:
`python -m dwsim_query.endpoint` and `python -m dwsim_query.snowflake_endpoint` (compose runs
each as a service, so the REST query service stays scalable)."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Protocol

from dwsim_shared.runtime import Runtime
from dwsim_shared.settings import get_settings


class Endpoint(Protocol):
    async def close(self) -> None: ...


async def _serve(start: Callable[[Runtime], Awaitable[Endpoint | None]], needs: str) -> int:
    rt = Runtime(get_settings())
    endpoint = await start(rt)
    if endpoint is None:
        print(needs, file=sys.stderr)
        return 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await endpoint.close()
    rt.close()
    return 0


def run(start: Callable[[Runtime], Awaitable[Endpoint | None]], needs: str) -> int:
    """Serve the endpoint `start` opens; `needs` is printed (exit 1) when it cannot open."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    return asyncio.run(_serve(start, needs))
