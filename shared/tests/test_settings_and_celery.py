"""Settings defaults and the Celery app's reliability configuration."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from dwsim_shared.celery_app import (
    GENERATE_SHARD,
    LOAD_SHARD,
    PREPARE_RUN,
    check_broker,
    make_celery,
)
from dwsim_shared.errors import DependencyUnavailable
from dwsim_shared.settings import Settings
from dwsim_shared.testing.servers import free_port


def test_embedded_defaults_live_under_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DWSIM_HOME", str(tmp_path))
    settings = Settings()
    assert settings.resolved_state_url == f"sqlite:///{tmp_path}/state.db"
    assert settings.resolved_broker_url == "filesystem://"
    assert settings.resolved_object_store == f"file://{tmp_path}/objects"
    assert settings.default_warehouse == "sqlite" and settings.gateway_port == 8000


def test_variables_are_read_and_normalised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DWSIM_STATE_URL", "postgresql://u@db:5432/state")
    monkeypatch.setenv("DWSIM_DEFAULT_WAREHOUSE", "REDSHIFT")
    monkeypatch.setenv("DWSIM_GATEWAY_PORT", "9000")
    settings = Settings()
    assert settings.resolved_state_url == "postgresql+psycopg2://u@db:5432/state"
    assert settings.default_warehouse == "redshift" and settings.gateway_port == 9000


def test_nonsense_is_refused_early() -> None:
    with pytest.raises(ValidationError, match="DWSIM_OBJECT_STORE"):
        Settings(object_store="ftp://x")
    with pytest.raises(ValidationError):
        Settings(default_warehouse="oracle")  # type: ignore[arg-type]


def test_celery_app_is_reliable_and_routes_by_queue(tmp_path: Path) -> None:
    app = make_celery(Settings(home=tmp_path))
    conf = app.conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_serializer == "json" and conf.accept_content == ["json"]
    assert conf.task_routes[GENERATE_SHARD]["queue"] == "generate"
    assert conf.task_routes[LOAD_SHARD]["queue"] == "load"
    assert conf.task_routes[PREPARE_RUN]["queue"] == "load"
    assert (tmp_path / "broker" / "queue").is_dir()


def test_broker_down_is_reported_not_hung(tmp_path: Path) -> None:
    app = make_celery(Settings(home=tmp_path, broker_url=f"redis://127.0.0.1:{free_port()}/0"))
    with pytest.raises(DependencyUnavailable, match="broker"):
        check_broker(app, timeout_s=1)
