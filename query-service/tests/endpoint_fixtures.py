"""A Redshift endpoint in this process (its own event loop thread) over a scratch Redshift mock
database holding two small TPC-H experiments, with an embedded state database."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dwsim_query.endpoint.server import RedshiftEndpoint
from dwsim_shared.ddl import import_ddl
from dwsim_shared.endpoint_credentials import endpoint_password
from dwsim_shared.experiment import Experiment
from dwsim_shared.generation import generate_shard, write_shard_parquet
from dwsim_shared.runtime import Runtime
from dwsim_shared.testing import servers
from dwsim_shared.testing.pipeline import embedded_runtime, submit_run
from dwsim_shared.warehouses.base import ShardRef

DDL = Path(__file__).parents[2] / "shared" / "tests" / "ddl" / "corpus" / "redshift_tpch.sql"
ROWS = {"region": 5, "nation": 25, "supplier": 10, "part": 40, "partsupp": 80,
        "customer": 60, "orders": 150, "lineitem": 400}  # fmt: skip


class EndpointSession:
    """What both endpoints' test stacks answer: the endpoint's port and an experiment's
    password (the running experiment's unless named)."""

    rt: Runtime
    endpoint: Any
    experiment: Experiment

    @property
    def port(self) -> int:
        return int(self.endpoint.port)

    def password(self, experiment: str | None = None) -> str:
        from dwsim_query.service import experiment_context

        name = experiment or self.experiment.name
        with self.rt.session() as session:
            return endpoint_password(session, experiment_context(self.rt, name).experiment_id)


@dataclass
class Live(EndpointSession):
    rt: Runtime
    endpoint: RedshiftEndpoint
    experiment: Experiment
    other: Experiment
    redshift_url: str
    home: Path

    def dsn(self, **overrides: str) -> str:
        values = {
            "host": "127.0.0.1", "port": str(self.port), "dbname": self.experiment.name,
            "user": self.experiment.name, "password": self.password(), "sslmode": "disable",
            "connect_timeout": "5", **overrides,
        }  # fmt: skip
        return " ".join(f"{k}={v}" for k, v in values.items())


def _load(rt: Runtime, name: str, tmp: Path) -> Experiment:
    experiment = import_ddl(
        DDL.read_text(encoding="utf-8"), "redshift", name=name, rows=ROWS
    ).experiment
    document = {**experiment.to_json(), "target_warehouse": "redshift"}
    return load_published(rt, experiment, document, tmp)


def load_published(
    rt: Runtime, experiment: Experiment, document: dict[str, Any], tmp: Path
) -> Experiment:
    """Record `document`'s run as published and load every table of `experiment` (seed 7) into
    the document's warehouse, as a run would."""
    submit_run(rt, document, published=True)
    warehouse = rt.warehouse(document["target_warehouse"])
    warehouse.prepare(experiment)
    for table in experiment.tables:
        path = tmp / f"{experiment.name}_{table.name}.parquet"
        data = generate_shard(
            experiment, table.name, seed=7, row_start=0, row_count=table.target_rows
        )
        write_shard_parquet(data, path)
        warehouse.load_shard(experiment, table, path, ShardRef(1, table.name, 0))
    return experiment


@pytest.fixture(scope="module")
def live_endpoint(
    tmp_path_factory: pytest.TempPathFactory, postgres_server_url: str
) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("endpoint")
    with servers.scratch_database(postgres_server_url, "dwsim_endpoint") as redshift_url:
        rt = embedded_runtime(tmp, redshift_url=redshift_url, query_timeout_s=5)
        suffix = uuid.uuid4().hex[:6]
        experiment = _load(rt, f"shop_{suffix}", tmp)
        other = _load(rt, f"other_{suffix}", tmp)
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, daemon=True)
        thread.start()
        endpoint = RedshiftEndpoint(rt, "127.0.0.1", 0, tmp / "endpoint")
        asyncio.run_coroutine_threadsafe(endpoint.start(), loop).result(10)
        try:
            yield Live(rt, endpoint, experiment, other, redshift_url, tmp)
        finally:
            asyncio.run_coroutine_threadsafe(endpoint.close(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            rt.close()
