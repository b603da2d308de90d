"""Connection details of an experiment's wire endpoint: what a user's own tools (psql, drivers,
SQLAlchemy, dbt) need to reach it, and the rotation of its password."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter
from sqlalchemy.orm import Session

from dwsim_gateway.deps import ExperimentDep, SessionDep, SettingsDep
from dwsim_shared.endpoint_credentials import endpoint_password, rotate_password
from dwsim_shared.objectstore import make_object_store
from dwsim_shared.runs.queries import live_run
from dwsim_shared.settings import Settings
from dwsim_shared.state.models import ExperimentRow
from dwsim_shared.warehouses.namespaces import WORKSPACE_SCHEMA

router = APIRouter(tags=["connection"])
CERT_FILE = "endpoint/redshift-endpoint.crt"  # under DWSIM_HOME, written by the query service
SCHEMA = "public"  # the generated tables, as the endpoint names them
NO_ENDPOINT = {
    "sqlite": "experiments on the SQLite warehouse have no wire endpoint: query them with "
    "POST /api/experiments/{name}/query (dw-sim query), or create the experiment with "
    "target_warehouse redshift to reach it from psql, drivers and dbt",
    "snowflake": "experiments on a real Snowflake account are reached there, with the "
    "account's own credentials: the Snowflake endpoint serves the emulator "
    "(DWSIM_SNOWFLAKE_HOST); query the experiment with POST /api/experiments/{name}/query",
}
SNOWFLAKE_SCHEMA = "PUBLIC"  # the generated tables, as the Snowflake endpoint names them
SNOWFLAKE_WORKSPACE = WORKSPACE_SCHEMA.upper()
SNOWFLAKE_ACCOUNT = "dwsim"  # any name: the connector needs one where the host is given
SNOWFLAKE_WAREHOUSE = "DWSIM"
SNOWFLAKE_ROLE = "PUBLIC"


def _warehouse(session: SessionDep, row: ExperimentRow) -> str:
    run = live_run(session, row.id)
    return run.warehouse if run else row.target_warehouse


def details(settings: Settings, name: str, password: str) -> dict[str, Any]:
    host = _public_host(settings.redshift_endpoint_host, settings.redshift_endpoint_public_host)
    port = settings.redshift_endpoint_port
    sslrootcert = str(settings.home / CERT_FILE)
    conninfo = f"host={host} port={port} dbname={name} user={name} sslmode=prefer"
    return {
        "available": True,
        "engine": "redshift",
        "host": host,
        "port": port,
        "user": name,
        "password": password,
        "database": name,
        "schema": SCHEMA,
        "workspace_schema": WORKSPACE_SCHEMA,
        "sslmode": "prefer",
        "sslrootcert": sslrootcert,
        # Where COPY reads and UNLOAD writes (the endpoint's own path check is the rule).
        "object_store_prefix": make_object_store(settings).url(f"workspace/{name}/"),
        "url": f"redshift+psycopg2://{name}:{quote(password, safe='')}@{host}:{port}/{name}"
        "?sslmode=prefer",
        "psql": f"PGPASSWORD={shlex.quote(password)} psql {shlex.quote(conninfo)}",
        "dbt_profile": {
            "type": "redshift",
            "host": host,
            "port": port,
            "user": name,
            "password": password,
            "dbname": name,
            "schema": WORKSPACE_SCHEMA,  # what dbt builds; sources read schema public
            "threads": 1,
            # redshift_connector verifies TLS against Redshift's CA: the endpoint's own
            # certificate needs SSL_CERT_FILE=<sslrootcert> for verify-ca.
            "sslmode": "disable",
        },
        "notes": [
            f"the generated tables (schema {SCHEMA}) are read-only; your own tables and views go "
            f"in the schema {WORKSPACE_SCHEMA} (CREATE TABLE/VIEW, CTAS, INSERT, UPDATE, DELETE, "
            "MERGE, TRUNCATE), which runs, reset and load leave alone",
            "every statement goes through the same compatibility layer as the query API",
        ],
    }


def _public_host(host: str, public: str | None) -> str:
    return public or ("localhost" if host in ("0.0.0.0", "::") else host)


def snowflake_details(settings: Settings, name: str, password: str) -> dict[str, Any]:
    """The Snowflake endpoint's details: snowflake-connector-python's, SQLAlchemy's and
    dbt-snowflake's settings (the endpoint speaks HTTP: protocol http, a host and port)."""
    host = _public_host(settings.snowflake_endpoint_host, settings.snowflake_endpoint_public_host)
    port = settings.snowflake_endpoint_port
    common = {
        "account": SNOWFLAKE_ACCOUNT, "user": name, "password": password, "database": name,
        "warehouse": SNOWFLAKE_WAREHOUSE, "role": SNOWFLAKE_ROLE, "host": host, "port": port,
        "protocol": "http",
    }  # fmt: skip
    # snowflake-sqlalchemy takes the endpoint as the URL's host and port and the account in
    # the query string; it refuses `host` and `protocol` there, so `protocol` (plain HTTP) goes
    # in `connect_args` (docs/decisions.md).
    query = f"account={SNOWFLAKE_ACCOUNT}&warehouse={SNOWFLAKE_WAREHOUSE}&role={SNOWFLAKE_ROLE}"
    return {
        "available": True,
        "engine": "snowflake",
        **common,
        "schema": SNOWFLAKE_SCHEMA,
        "workspace_schema": SNOWFLAKE_WORKSPACE,
        "sslmode": "disable",  # plain HTTP on the machine that runs the simulator
        "url": f"snowflake://{name}:{quote(password, safe='')}@{host}:{port}/{name}/"
        f"{SNOWFLAKE_SCHEMA}?{query}",
        "connect_args": {"protocol": "http"},
        "psql": None,
        "python": (
            f"snowflake.connector.connect(account={SNOWFLAKE_ACCOUNT!r}, host={host!r}, "
            f"port={port}, protocol='http', user={name!r}, password=<password>, "
            f"database={name!r}, schema={SNOWFLAKE_SCHEMA!r})"
        ),
        "dbt_profile": {
            "type": "snowflake",
            **common,
            "schema": SNOWFLAKE_WORKSPACE,  # what dbt builds; sources read schema PUBLIC
            "threads": 1,
            "client_session_keep_alive": False,
        },
        "notes": [
            f"the generated tables (schema {SNOWFLAKE_SCHEMA}) are read-only; your own tables "
            f"and views go in the schema {SNOWFLAKE_WORKSPACE} (CREATE TABLE/VIEW, CTAS, "
            "INSERT, UPDATE, DELETE, MERGE, TRUNCATE), which runs, reset and load leave alone",
            "every statement goes through the same compatibility layer as the query API",
        ],
    }


def _snowflake_endpoint(settings: Settings) -> bool:
    host = settings.snowflake_host or ""
    return (
        bool(host)
        and not host.endswith("snowflakecomputing.com")
        and bool(settings.snowflake_endpoint_port)
    )


def _answer(
    row: ExperimentRow,
    session: Session,
    settings: Settings,
    password: Callable[[Session, int], str],
) -> dict[str, Any]:
    """The connection details with `password(session, experiment id)`, or why there are none."""
    warehouse = _warehouse(session, row)
    if warehouse == "snowflake" and _snowflake_endpoint(settings):
        return snowflake_details(settings, row.name, password(session, row.id))
    if warehouse != "redshift":
        return {
            "available": False,
            "engine": warehouse,
            "message": NO_ENDPOINT[warehouse].format(name=row.name),
        }
    return details(settings, row.name, password(session, row.id))


@router.get("/{name}/connection")
def connection(row: ExperimentDep, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    """How to connect psql, drivers, SQLAlchemy or dbt to the experiment (its password
    included: treat the answer as a secret)."""
    return _answer(row, session, settings, endpoint_password)


@router.post("/{name}/connection/rotate")
def rotate(row: ExperimentDep, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    """A new endpoint password for the experiment: new connections need it, open ones go on."""
    return _answer(row, session, settings, rotate_password)
