"""In-process gateway (FastAPI TestClient) over real servers; no workers run here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dwsim_gateway.main import create_app
from dwsim_shared.settings import Settings
from dwsim_shared.testing.pipeline import seed_embedded_state

GatewayFactory = Callable[..., TestClient]


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[GatewayFactory]:
    """Build a gateway with settings overrides; closed (lifespan ended) after the test."""
    clients: list[TestClient] = []

    def build(**overrides: object) -> TestClient:
        settings = Settings.model_validate({"home": tmp_path / "home", **overrides})
        if settings.state_url is None:
            seed_embedded_state(settings.home)  # a copy of a migrated one, not a migration
        client = TestClient(create_app(settings), raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.__exit__(None, None, None)


def small_experiment(name: str) -> dict[str, object]:
    return {
        "name": name,
        "tables": [
            {
                "name": "t",
                "target_rows": 10,
                "columns": [{"name": "id", "data_type": "INT", "is_unique": True}],
            }
        ],
    }
