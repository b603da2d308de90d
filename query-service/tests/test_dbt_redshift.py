"""dbt-redshift against the Redshift endpoint, as a user runs it: the tool environment from the
Makefile (`make dbt-env`), the profile from `dw-sim experiment connect NAME --format dbt`, then
`dbt build` twice (the first loads the seed, as `dbt seed` would: `build` runs seeds, models
and tests in order; the second takes the incremental path) of the project in tests/dbt/project;
the built tables hold the expected counts."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from fastapi.testclient import TestClient

from .endpoint_fixtures import Live, live_endpoint
from .test_endpoint_connection import gateway, run_cli

pytestmark = pytest.mark.integration
__all__ = ["gateway", "live_endpoint"]
ROOT = Path(__file__).resolve().parents[2]
PROJECT = ROOT / "tests" / "dbt" / "project"
DBT = ROOT / ".tools" / "dbt" / "bin" / "dbt"


@pytest.fixture(scope="module")
def dbt_tool() -> Path:
    """The dbt tool environment, built by the Makefile target (a no-op once built)."""
    result = subprocess.run(
        ["make", "-C", str(ROOT), "dbt-env"], capture_output=True, text=True, timeout=600,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return DBT


def dbt(tool: Path, project: Path, *args: str) -> str:
    env = {
        **os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DBT_VERSION_CHECK": "false",
        "DBT_PROFILES_DIR": str(project), "DBT_LOG_PATH": str(project / "logs"),
        "DBT_TARGET_PATH": str(project / "target"),
    }  # fmt: skip
    result = subprocess.run(
        [str(tool), *args, "--project-dir", str(project)], env=env, capture_output=True,
        text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, f"dbt {' '.join(args)}:\n{result.stdout[-6000:]}"
    return result.stdout


def test_dbt_seed_and_build_twice(
    live_endpoint: Live, gateway: TestClient, dbt_tool: Path, tmp_path: Path
) -> None:
    name = live_endpoint.experiment.name
    project = tmp_path / "project"
    shutil.copytree(PROJECT, project)
    code, out, _ = run_cli(gateway, "experiment", "connect", name, "--format", "dbt")
    assert code == 0
    (project / "profiles.yml").write_text(out, encoding="utf-8")

    first = dbt(dbt_tool, project, "build")
    second = dbt(dbt_tool, project, "build")
    assert "Completed successfully" in first and "Completed successfully" in second
    assert "OK loaded seed file" in first, first[-4000:]

    with contextlib.closing(psycopg2.connect(live_endpoint.dsn())) as conn, conn.cursor() as cur:
        assert_built_counts(cur)


def assert_built_counts(cur: Any) -> None:
    """What the example project builds from the 150-order experiment, on either warehouse: the
    seed, the table, the incremental model (no key twice after two builds) and the view."""
    counts = {}
    for table in ("order_status_labels", "customer_orders", "orders_incremental"):
        cur.execute(f"SELECT COUNT(*) FROM workspace.{table}")
        counts[table] = cur.fetchone()[0]
    cur.execute("SELECT COUNT(*) FROM workspace.stg_orders")
    orders = cur.fetchone()[0]
    cur.execute("SELECT COUNT(*), COUNT(DISTINCT o_orderkey) FROM workspace.orders_incremental")
    total, distinct = cur.fetchone()
    cur.execute("SELECT SUM(orders) FROM workspace.customer_orders")
    (ordered,) = cur.fetchone()
    assert counts == {"order_status_labels": 3, "customer_orders": 60, "orders_incremental": 150}
    assert orders == 150 and total == distinct == 150 and ordered == 150
