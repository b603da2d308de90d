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
    "snowflake": "the Snowflake endpoint is not available yet: query the experiment with "
    "POST /api/experiments/{name}/query (dw-sim query), or create it with target_warehouse "
    "redshift to reach it from psql, drivers and dbt",
}


def _warehouse(session: SessionDep, row: ExperimentRow) -> str:
    run = live_run(session, row.id)
    return run.warehouse if run else row.target_warehouse


def details(settings: Settings, name: str, password: str) -> dict[str, Any]:
    host = settings.redshift_endpoint_public_host or (
        "localhost"
        if settings.redshift_endpoint_host in ("0.0.0.0", "::")
        else settings.redshift_endpoint_host
    )
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


def _answer(
    row: ExperimentRow,
    session: Session,
    settings: Settings,
    password: Callable[[Session, int], str],
) -> dict[str, Any]:
    """The connection details with `password(session, experiment id)`, or why there are none."""
    warehouse = _warehouse(session, row)
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
