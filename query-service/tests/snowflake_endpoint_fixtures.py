"""A Snowflake endpoint in this process (its own event loop thread) in front of the session's
emulator server, holding two small TPC-H experiments in Snowflake SQL, with an embedded state
database."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dwsim_query.snowflake_endpoint.server import SnowflakeEndpoint
from dwsim_shared.ddl import import_ddl
from dwsim_shared.experiment import Experiment
from dwsim_shared.runtime import Runtime
from dwsim_shared.testing.fixtures import snowflake_settings
from dwsim_shared.testing.pipeline import embedded_runtime

from .endpoint_fixtures import EndpointSession, load_published

DDL = Path(__file__).parents[2] / "shared" / "tests" / "ddl" / "corpus" / "redshift_tpch.sql"
ROWS = {"region": 5, "nation": 25, "supplier": 10, "part": 40, "partsupp": 80,
        "customer": 60, "orders": 150, "lineitem": 400}  # fmt: skip


@dataclass
class LiveSnow(EndpointSession):
    rt: Runtime
    endpoint: SnowflakeEndpoint
    experiment: Experiment
    other: Experiment
    home: Path

    def connect_args(self, **overrides: Any) -> dict[str, Any]:
        name = self.experiment.name
        return {
            "account": "dwsim", "host": "127.0.0.1", "port": self.port, "protocol": "http",
            "user": name, "password": self.password(), "database": name,
            "schema": "workspace", "login_timeout": 10, "network_timeout": 30,
            **overrides,
        }  # fmt: skip

    def connect(self, **overrides: Any) -> Any:
        import snowflake.connector

        return snowflake.connector.connect(**self.connect_args(**overrides))


def load_snowflake(rt: Runtime, name: str, tmp: Path) -> Experiment:
    """A TPC-H experiment in Snowflake SQL, generated and loaded into the emulator."""
    experiment = import_ddl(
        DDL.read_text(encoding="utf-8"), "redshift", name=name, rows=ROWS
    ).experiment
    document = {
        **experiment.to_json(), "target_warehouse": "snowflake", "source_dialect": "snowflake",
    }  # fmt: skip
    return load_published(rt, Experiment.model_validate(document), document, tmp)


@pytest.fixture(scope="module")
def live_snowflake(
    tmp_path_factory: pytest.TempPathFactory, snowflake_server: dict[str, str]
) -> Iterator[LiveSnow]:
    tmp = tmp_path_factory.mktemp("snowflake_endpoint")
    rt = embedded_runtime(
        tmp, query_timeout_s=5, snowflake_workspace_max_rows=100_000,
        **snowflake_settings(snowflake_server),
    )  # fmt: skip
    suffix = uuid.uuid4().hex[:6]
    experiment = load_snowflake(rt, f"snow_{suffix}", tmp)
    other = load_snowflake(rt, f"other_{suffix}", tmp)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    endpoint = SnowflakeEndpoint(rt, "127.0.0.1", 0)
    asyncio.run_coroutine_threadsafe(endpoint.start(), loop).result(20)
    try:
        yield LiveSnow(rt, endpoint, experiment, other, tmp)
    finally:
        asyncio.run_coroutine_threadsafe(endpoint.close(), loop).result(20)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        for name in (experiment.name, other.name):
            rt.warehouse("snowflake").drop(name)
        rt.close()
