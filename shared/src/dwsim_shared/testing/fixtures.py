"""Fixtures every package's tests can load: `pytest_plugins = ["dwsim_shared.testing.fixtures"]`.

Servers are session-scoped; each test gets its own names (databases, buckets,
experiment names), so tests never depend on each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest

from dwsim_shared.testing import servers

T = TypeVar("T")

AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def _need(what: str, factory: Callable[[], T]) -> T:
    try:
        return factory()
    except servers.NoServer as error:
        pytest.fail(f"{what}: {error}", pytrace=False)


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    context = _need("PostgreSQL", servers.postgres_server)
    with context as url:
        yield url


@pytest.fixture(scope="session")
def redis_server_url() -> Iterator[str]:
    context = _need("Redis", servers.redis_server)
    with context as url:
        yield url


@pytest.fixture(scope="session")
def s3_endpoint_url() -> Iterator[str]:
    for key, value in AWS_ENV.items():
        os.environ.setdefault(key, value)
    with servers.moto_s3_server() as url:
        yield url


@pytest.fixture(scope="session")
def snowflake_server() -> Iterator[dict[str, str]]:
    """`DWSIM_SNOWFLAKE_*` settings (host, port, protocol, account, user, password) of a fakesnow
    server; `snowflake_settings(...)` turns them into `Settings` keywords."""
    context = _need("fakesnow", servers.fakesnow_server)
    with context as settings:
        yield settings


def snowflake_settings(server: dict[str, str]) -> dict[str, str]:
    """The `snowflake_server` fixture's variables as `Settings(...)` keywords."""
    return {k.removeprefix("DWSIM_").lower(): v for k, v in server.items()}


@pytest.fixture
def postgres_db(postgres_server_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database for one test (libpq URL)."""
    with servers.scratch_database(postgres_server_url, "dwsim_test") as url:
        yield url


@pytest.fixture
def s3_bucket(s3_endpoint_url: str) -> str:
    """A new, empty bucket on the moto server."""
    import boto3

    name = f"dwsim-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint_url, region_name="us-east-1").create_bucket(
        Bucket=name
    )
    return name


SERVER_FIXTURES = frozenset(
    {"postgres_server_url", "redis_server_url", "s3_endpoint_url", "snowflake_server", "live"}
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses a real server as `integration` (`make test-unit` skips them)."""
    for item in items:
        if SERVER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)
