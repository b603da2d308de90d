"""The Redshift endpoint with real clients against a real PostgreSQL (the Redshift mock)."""

from __future__ import annotations

import psycopg2
import pytest

from .endpoint_fixtures import Live, live_endpoint

pytestmark = pytest.mark.integration
__all__ = ["live_endpoint"]


def test_psycopg2_reads_through_the_pipeline(live_endpoint: Live) -> None:
    with psycopg2.connect(live_endpoint.dsn()) as conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM orders")
        assert cur.fetchone() == (150,)
        cur.execute("select version(), current_database(), current_schema()")
        version, database, schema = cur.fetchone()
        assert "Redshift" in version and database == live_endpoint.experiment.name
        assert schema == "public"
