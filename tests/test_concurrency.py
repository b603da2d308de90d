"""Concurrent queries through the gateway on the distributed stack (PostgreSQL state, the
Redshift mock): every answer is 200, 429 (the experiment's own concurrency limit) or 503 (a
full pool, naming it), each refusal with Retry-After; never a 500, and no finished answer is
thrown away for its history line."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.conftest import BACKENDS, LiveStack, LiveStacks, unique_name

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        "distributed" not in BACKENDS, reason="DWSIM_TEST_BACKENDS has no distributed"
    ),
]

EXPERIMENTS = 4
# ~1M joined rows: long enough (a tenth of a second) that 50 of them overlap on the engine
SQL = "SELECT COUNT(*) FROM t a, t b, t c WHERE c.id <= 25"


@pytest.fixture(scope="module")
def live(live_stacks: LiveStacks) -> LiveStack:
    """The session's distributed stack (its tests run on the same xdist worker, see the root
    conftest.py): the queries run on experiments of their own, as every other test's do."""
    return live_stacks.get("distributed")


@pytest.fixture(scope="module")
def experiments(live: LiveStack) -> list[str]:
    names, runs = [], []
    for _ in range(EXPERIMENTS):
        name = unique_name("conc")
        document = {"name": name, "target_warehouse": "redshift", "tables": [
            {"name": "t", "target_rows": 200, "columns": [
                {"name": "id", "data_type": "BIGINT", "is_unique": True}]}]}  # fmt: skip
        assert live.client.post("/api/experiments", json=document).status_code == 201
        answer = live.client.post(f"/api/experiments/{name}/generate", json={})
        assert answer.status_code == 202, answer.text
        names.append(name)
        runs.append(answer.json()["run_id"])
    for name, run_id in zip(names, runs, strict=True):
        assert live.wait_run(name, run_id)["status"] == "COMPLETED"
    return names


def _fire(live: LiveStack, names: list[str]) -> list[httpx.Response]:
    def one(name: str) -> httpx.Response:
        with httpx.Client(base_url=live.url, timeout=120) as client:
            return client.post(f"/api/experiments/{name}/query", json={"sql": SQL})

    with ThreadPoolExecutor(len(names)) as pool:
        return list(pool.map(one, names))


def _check(answers: list[httpx.Response]) -> Counter[int]:
    statuses = Counter(a.status_code for a in answers)
    assert set(statuses) <= {200, 429, 503}, {a.status_code: a.text for a in answers}
    assert statuses[200] > 0
    for answer in answers:
        if answer.status_code == 200:
            assert answer.json()["rows"] == [[200 * 200 * 25]]
        else:
            assert int(answer.headers["Retry-After"]) >= 1
            body = answer.json()
            assert "Error" not in body["message"] and "Exception" not in body["message"], body
            if answer.status_code == 429:
                assert "too many concurrent queries" in body["message"]
    return statuses


def test_50_concurrent_queries_on_one_experiment(live: LiveStack, experiments: list[str]) -> None:
    statuses = _check(_fire(live, [experiments[0]] * 50))
    print("CONCURRENCY one experiment x50:", dict(statuses))
    # every answered query left its history line (written after answering, in the background)
    entries = live.client.get(f"/api/experiments/{experiments[0]}/history").json()["entries"]
    assert len(entries) == 50


def test_100_concurrent_queries_across_experiments(live: LiveStack, experiments: list[str]) -> None:
    names = [experiments[i % EXPERIMENTS] for i in range(100)]
    statuses = _check(_fire(live, names))
    print("CONCURRENCY 4 experiments x25:", dict(statuses))


def test_the_experiments_connection_limit_is_429_not_an_outage(
    live: LiveStack, experiments: list[str]
) -> None:
    """The 21st concurrent query of one experiment: 429 naming the limit, with Retry-After."""
    import contextlib

    import psycopg2

    from dwsim_shared.warehouses.namespaces import live_namespace
    from dwsim_shared.warehouses.pg_reader import (
        READER_CONNECTION_LIMIT,
        database_of,
        reader_password,
        reader_role,
    )
    from dwsim_shared.warehouses.redshift import libpq_url

    name = experiments[1]
    url = libpq_url(live.env["DWSIM_REDSHIFT_URL"])
    role = reader_role(database_of(url), live_namespace(name))
    with contextlib.ExitStack() as held:  # the experiment's other queries, all running
        for _ in range(READER_CONNECTION_LIMIT):
            conn = psycopg2.connect(url, user=role, password=reader_password(url, role))
            held.callback(conn.close)
        answer = live.client.post(f"/api/experiments/{name}/query", json={"sql": SQL})
        assert answer.status_code == 429, answer.text
        assert answer.headers["Retry-After"] == "1"
        assert "too many concurrent queries" in answer.json()["message"]
        assert "unavailable" not in answer.json()["message"]
    assert live.client.post(f"/api/experiments/{name}/query", json={"sql": SQL}).status_code == 200
