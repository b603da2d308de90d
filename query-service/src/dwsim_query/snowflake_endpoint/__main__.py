"""`python -m dwsim_query.snowflake_endpoint`: the Snowflake endpoint alone, as its own process
(compose runs it as the `snowflake-endpoint` service, so the REST query service stays
scalable)."""

from __future__ import annotations

import sys

from dwsim_query.endpoint_process import run
from dwsim_query.snowflake_endpoint.server import start_snowflake_endpoint

if __name__ == "__main__":
    sys.exit(
        run(
            start_snowflake_endpoint,
            "the Snowflake endpoint needs DWSIM_SNOWFLAKE_HOST (the emulator) and a free "
            "DWSIM_SNOWFLAKE_ENDPOINT_PORT",
        )
    )
