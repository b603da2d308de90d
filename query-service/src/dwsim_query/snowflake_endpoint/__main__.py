"""`python -m dwsim_query.snowflake_endpoint`: the Snowflake endpoint alone, as its own process
(compose runs it as the `snowflake-endpoint` service, so the REST query service stays
scalable)."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from dwsim_query.snowflake_endpoint.server import start_snowflake_endpoint
from dwsim_shared.runtime import Runtime
from dwsim_shared.settings import get_settings


async def serve() -> int:
    rt = Runtime(get_settings())
    endpoint = await start_snowflake_endpoint(rt)
    if endpoint is None:
        print(
            "the Snowflake endpoint needs DWSIM_SNOWFLAKE_HOST (the emulator) and a free "
            "DWSIM_SNOWFLAKE_ENDPOINT_PORT",
            file=sys.stderr,
        )
        return 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await endpoint.close()
    rt.close()
    return 0


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    return asyncio.run(serve())


if __name__ == "__main__":
    sys.exit(main())
