"""Connection details from the gateway and `dw-sim experiment connect`, used as given: psql with
the `env` lines, redshift_connector with the dbt profile, a new password after rotation."""

from __future__ import annotations

import contextlib
import io
import os
import shlex
import subprocess
from collections.abc import Iterator
from typing import Any

import psycopg2
import pytest
import redshift_connector
import yaml
from fastapi.testclient import TestClient

from dwsim_cli.main import main as cli
from dwsim_gateway.main import create_app
from dwsim_shared.settings import Settings
from dwsim_shared.testing.pipeline import submit_run

from .endpoint_fixtures import Live, live_endpoint

pytestmark = pytest.mark.integration
__all__ = ["live_endpoint"]


@pytest.fixture
def gateway(live_endpoint: Live) -> Iterator[TestClient]:
    settings = Settings(
        home=live_endpoint.home, redshift_url=live_endpoint.redshift_url,
        redshift_endpoint_port=live_endpoint.port,
    )  # fmt: skip
    with TestClient(create_app(settings)) as client:
        yield client


def run_cli(gateway: TestClient, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli(
        list(argv), env={"DWSIM_URL": "http://testserver"},
        transport=gateway._transport, out=out, err=err,
    )  # fmt: skip
    return code, out.getvalue(), err.getvalue()


def test_connection_details_work_as_given(live_endpoint: Live, gateway: TestClient) -> None:
    name = live_endpoint.experiment.name
    answer = gateway.get(f"/api/experiments/{name}/connection")
    assert answer.status_code == 200, answer.text
    details: dict[str, Any] = answer.json()
    assert details["engine"] == "redshift" and details["database"] == name
    assert details["port"] == live_endpoint.port and details["schema"] == "public"
    assert details["workspace_schema"] == "workspace"
    assert details["object_store_prefix"].endswith(f"/workspace/{name}/")
    assert details["password"] == live_endpoint.password()
    with contextlib.closing(
        psycopg2.connect(host=details["host"], port=details["port"], user=details["user"],
                         password=details["password"], dbname=details["database"],
                         sslmode=details["sslmode"], sslrootcert=details["sslrootcert"])
    ) as conn, conn.cursor() as cur:  # fmt: skip
        cur.execute("SELECT COUNT(*) FROM region")
        assert cur.fetchone() == (5,)
        assert conn.info.ssl_in_use  # sslmode=prefer took the endpoint's TLS

    code, out, _ = run_cli(gateway, "experiment", "connect", name, "--format", "env")
    assert code == 0
    env = dict(os.environ)
    for line in out.splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        env[key] = shlex.split(value)[0]
    result = subprocess.run(
        ["psql", "-X", "-A", "-t", "-c", "SELECT COUNT(*) FROM nation"],
        env=env, capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert (result.returncode, result.stdout.strip()) == (0, "25"), result.stderr

    code, out, _ = run_cli(gateway, "experiment", "connect", name, "--format", "dbt")
    assert code == 0
    profile = yaml.safe_load(out)["dwsim"]["outputs"][name]
    assert profile["type"] == "redshift" and profile["dbname"] == name
    assert profile["schema"] == "workspace"  # dbt builds in the workspace
    conn = redshift_connector.connect(
        host=profile["host"], port=profile["port"], user=profile["user"],
        password=profile["password"], database=profile["dbname"],
        ssl=profile["sslmode"] != "disable",
    )  # fmt: skip
    try:
        cursor = conn.cursor()
        cursor.execute("SELECT COUNT(*) FROM customer")
        assert cursor.fetchone()[0] == 60
    finally:
        conn.close()


def test_rotation_changes_the_password(live_endpoint: Live, gateway: TestClient) -> None:
    name = live_endpoint.other.name
    old = live_endpoint.password(name)
    code, out, _ = run_cli(gateway, "experiment", "connect", name, "--rotate", "--format", "url")
    assert code == 0 and out.startswith(f"redshift+psycopg2://{name}:")
    new = live_endpoint.password(name)
    assert new != old and new in out
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        psycopg2.connect(live_endpoint.dsn(dbname=name, user=name, password=old))
    with contextlib.closing(
        psycopg2.connect(live_endpoint.dsn(dbname=name, user=name, password=new))
    ) as conn, conn.cursor() as cur:  # fmt: skip
        cur.execute("SELECT COUNT(*) FROM region")
        assert cur.fetchone() == (5,)


def test_a_sqlite_experiment_says_what_to_do_instead(
    live_endpoint: Live, gateway: TestClient
) -> None:
    document = {"name": "flat_" + live_endpoint.experiment.name[-6:], "target_warehouse": "sqlite",
                "tables": [{"name": "t", "target_rows": 1,
                            "columns": [{"name": "id", "data_type": "INT"}]}]}  # fmt: skip
    submit_run(live_endpoint.rt, document)
    answer = gateway.get(f"/api/experiments/{document['name']}/connection")
    assert answer.status_code == 200
    body = answer.json()
    assert body["available"] is False and body["engine"] == "sqlite"
    assert "no wire endpoint" in body["message"] and "/query" in body["message"]
    code, out, err = run_cli(
        gateway, "experiment", "connect", str(document["name"]), "--format", "psql"
    )
    assert code == 1 and out == "" and "no wire endpoint" in err
