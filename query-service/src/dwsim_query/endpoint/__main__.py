"""`python -m dwsim_query.endpoint`: the Redshift endpoint alone, as its own process (compose
runs it as the `redshift-endpoint` service, so the REST query service stays scalable)."""

from __future__ import annotations

import sys

from dwsim_query.app import start_redshift_endpoint
from dwsim_query.endpoint_process import run

if __name__ == "__main__":
    sys.exit(
        run(
            start_redshift_endpoint,
            "the Redshift endpoint needs DWSIM_REDSHIFT_URL and a free DWSIM_REDSHIFT_ENDPOINT_PORT",
        )
    )
