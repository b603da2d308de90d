"""The engine registry (`dwsim_shared.engines`) is the only list of warehouses: a fake adapter
registered here appears in settings and experiment validation, `/api/warehouses`, the query
service's rewrite chain and the golden cases' engines' labels, with nothing else edited."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlglot import exp

from dwsim_gateway.main import create_app
from dwsim_query.compat import registry as compat
from dwsim_shared import engines
from dwsim_shared.experiment import Experiment
from dwsim_shared.settings import Settings
from dwsim_shared.warehouses.base import Warehouse


class FakeWarehouse(Warehouse):
    name = "fakewh"
    label = "Fake engine"
    compat_engine = "fakeengine"
    sqlglot_dialect = "duckdb"
    approximate_distinct = True
    required_settings = "DWSIM_FAKE_URL"
    ddl_types: ClassVar[dict[str, str]] = {}

    @classmethod
    def configured(cls, settings: Settings) -> bool:
        return False

    def check(self) -> None: ...
    def prepare(self, experiment: Any) -> None: ...
    def load_shard(self, *args: Any) -> int: return 0  # fmt: skip

    def count_rows(self, *args: Any) -> int: return 0  # fmt: skip

    def drop(self, experiment_name: str) -> None: ...
    def publish(self, *args: Any) -> bool: return False  # fmt: skip

    def reset(self, *args: Any) -> list[str]: return []  # fmt: skip

    def query_cursor(self, *args: Any, **kwargs: Any) -> Any: ...
    def physical_table(self, experiment_name: str, table_name: str) -> exp.Table:
        return exp.to_table(table_name)


@pytest.fixture
def fake_adapter() -> Iterator[type[Warehouse]]:
    engines.register_adapter(FakeWarehouse)
    try:
        yield FakeWarehouse
    finally:
        engines.unregister_adapter(FakeWarehouse.name)


DOCUMENT = {
    "name": "fk",
    "tables": [{"name": "t", "target_rows": 1, "columns": [{"name": "a", "data_type": "INT"}]}],
}


def test_a_fake_adapter_appears_everywhere(fake_adapter: type[Warehouse], tmp_path: Any) -> None:
    # settings and experiment validation
    assert Settings(home=tmp_path, default_warehouse="FAKEWH").default_warehouse == "fakewh"
    doc = Experiment.model_validate({**DOCUMENT, "target_warehouse": "fakewh"})
    assert doc.target_warehouse == "fakewh"
    schema = Experiment.model_json_schema()["properties"]["target_warehouse"]
    assert "fakewh" in schema["anyOf"][0]["enum"]
    # /api/warehouses
    with TestClient(create_app(Settings(home=tmp_path)), raise_server_exceptions=False) as client:
        answer = client.get("/api/warehouses").json()
    fake = next(w for w in answer["warehouses"] if w["name"] == "fakewh")
    assert fake == {
        "name": "fakewh", "label": "Fake engine", "configured": False, "needs": "DWSIM_FAKE_URL",
    }  # fmt: skip
    # the query service's rewrite chain: its engine, its label, and the rewrites for every engine
    assert "fakeengine" in compat.compat_engines()
    assert compat.engine_labels()["fakeengine"] == "fake engine"
    assert compat.engine_of("duckdb") == "fakeengine"
    every_engine = [r for r in compat.chain("redshift", "sqlite") if r.engines is None]
    assert every_engine and all(r in compat.chain("redshift", "fakeengine") for r in every_engine)


def test_without_it_the_name_is_refused(tmp_path: Any) -> None:
    with pytest.raises(ValidationError, match="available: redshift, snowflake, sqlite"):
        Settings(home=tmp_path, default_warehouse="fakewh")
    with pytest.raises(ValidationError, match="'fakewh' is not available"):
        Experiment.model_validate({**DOCUMENT, "target_warehouse": "fakewh"})
    assert "fakeengine" not in compat.compat_engines()
