"""dbt-snowflake against the Snowflake endpoint, as a user runs it: the tool environment from
the Makefile (`make dbt-env`), the profile from `dw-sim experiment connect NAME --format dbt`,
then `dbt build` twice (the first loads the seed, as `dbt seed` would; the second takes the
incremental path, whose temporary relation once failed on the emulator) of the same project as
the Redshift test; the built tables hold the expected counts."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dwsim_gateway.main import create_app
from dwsim_shared.settings import Settings
from dwsim_shared.testing.fixtures import snowflake_settings

from .snowflake_endpoint_fixtures import LiveSnow, live_snowflake
from .test_dbt_redshift import PROJECT, assert_built_counts, dbt, dbt_tool
from .test_endpoint_connection import run_cli

pytestmark = pytest.mark.integration
__all__ = ["dbt_tool", "live_snowflake"]


@pytest.fixture
def snow_gateway(
    live_snowflake: LiveSnow, snowflake_server: dict[str, str]
) -> Iterator[TestClient]:
    settings = Settings(
        home=live_snowflake.home, snowflake_endpoint_port=live_snowflake.port,
        **snowflake_settings(snowflake_server),
    )  # fmt: skip
    with TestClient(create_app(settings)) as client:
        yield client


def test_dbt_seed_and_build_twice(
    live_snowflake: LiveSnow, snow_gateway: TestClient, dbt_tool: Path, tmp_path: Path
) -> None:
    name = live_snowflake.experiment.name
    project = tmp_path / "project"
    shutil.copytree(PROJECT, project)
    code, out, err = run_cli(snow_gateway, "experiment", "connect", name, "--format", "dbt")
    assert code == 0, err
    assert 'type: "snowflake"' in out
    (project / "profiles.yml").write_text(out, encoding="utf-8")

    first = dbt(dbt_tool, project, "build")
    second = dbt(dbt_tool, project, "build")
    assert "Completed successfully" in first and "Completed successfully" in second
    assert "OK loaded seed file" in first, first[-4000:]
    # The second build took the incremental path: a temporary view merged into the table.
    log = (project / "logs" / "dbt.log").read_text(encoding="utf-8")
    assert "temporary view" in log and "merge into" in log

    with live_snowflake.connect() as conn, conn.cursor() as cur:
        assert_built_counts(cur)


def test_connection_details_work_as_given(
    live_snowflake: LiveSnow, snow_gateway: TestClient
) -> None:
    name = live_snowflake.experiment.name
    details = snow_gateway.get(f"/api/experiments/{name}/connection").json()
    assert details["available"] is True and details["engine"] == "snowflake"
    assert (details["database"], details["user"], details["port"]) == (
        name,
        name,
        live_snowflake.port,
    )
    assert (details["schema"], details["workspace_schema"]) == ("PUBLIC", "WORKSPACE")
    assert details["password"] == live_snowflake.password()
    assert details["dbt_profile"]["type"] == "snowflake"
    assert details["dbt_profile"]["schema"] == "WORKSPACE"
    assert details["url"].startswith(f"snowflake://{name}:")
    # The SQLAlchemy url as snowflake-sqlalchemy reads it (it is not installable here): the
    # endpoint as host and port, the account, warehouse and role in the query string, no `host`
    # or `protocol` there (it refuses them), and `protocol` in connect_args. Connect with exactly
    # what the url and connect_args say.
    from sqlalchemy.engine import make_url

    url = make_url(details["url"])
    assert (url.host, url.port) == (details["host"], details["port"])
    assert not {"host", "protocol"} & set(url.query)
    database, schema = (url.database or "").split("/")
    from_url = {
        "user": url.username, "password": url.password, "host": url.host, "port": url.port,
        "database": database, "schema": schema, **dict(url.query), **details["connect_args"],
    }  # fmt: skip
    import snowflake.connector as connector

    with connector.connect(**from_url) as conn:
        assert conn.cursor().execute("SELECT COUNT(*) FROM region").fetchone() == (5,)
    import snowflake.connector

    keys = ("account", "host", "port", "protocol", "user", "password", "database", "schema",
            "warehouse", "role")  # fmt: skip
    with snowflake.connector.connect(**{k: details[k] for k in keys}) as conn:
        cur = conn.cursor()
        cur.execute("SELECT COUNT(*) FROM region")
        assert cur.fetchone() == (5,)
    code, out, _ = run_cli(snow_gateway, "experiment", "connect", name, "--format", "env")
    assert code == 0 and f"export SNOWFLAKE_DATABASE={name}" in out
    code, _, err = run_cli(snow_gateway, "experiment", "connect", name, "--format", "psql")
    assert code != 0 and "no psql" in err
