"""The Snowflake endpoint with snowflake-connector-python: login, reads through the
compatibility layer, the workspace, refusals."""

from __future__ import annotations

import pytest

from .snowflake_endpoint_fixtures import LiveSnow, live_snowflake

pytestmark = pytest.mark.integration
__all__ = ["live_snowflake"]


def test_smoke(live_snowflake: LiveSnow) -> None:
    with live_snowflake.connect() as conn, conn.cursor() as cur:
        cur.execute("select count(*) from orders")
        assert cur.fetchone() == (150,)
