"""Staged runs and what they make possible, through real processes on every back end: a run
that is cancelled or fails leaves the previous data live with its exact counts; reset empties
the live tables; load brings an earlier run's data back byte for byte (same checksums)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from dwsim_shared.objectstore import make_object_store
from dwsim_shared.settings import Settings
from dwsim_shared.warehouses import make_warehouse
from dwsim_shared.warehouses.base import staging_name
from tests.conftest import HOLD_PREFIX, LiveStack, unique_name
from tests.test_e2e import dw_sim, fk_chain, query

pytestmark = pytest.mark.integration

SMALL = {"customers": 2_000, "orders": 6_000, "items": 12_000}
# A second run that stays in progress for a while: its tables' second shards are held by the
# stack's test-only switch (tests/conftest.py LIVE_SETTINGS) in experiments named `held_*`.
BIG = {"customers": 2_000, "orders": 8_000, "items": 16_000}
BIG_SHARD = 4_000
CHECKSUMS = (
    "SELECT (SELECT COUNT(*) FROM customers), (SELECT COUNT(*) FROM orders), "
    "(SELECT COUNT(*) FROM order_items), (SELECT SUM(customer_id) FROM orders), "
    "(SELECT COUNT(DISTINCT email) FROM customers), (SELECT MIN(email) FROM customers), "
    "(SELECT SUM(quantity) FROM order_items), (SELECT SUM(order_id) FROM order_items)"
)


def settings_of(live: LiveStack) -> Settings:
    return Settings.model_validate(
        {k.removeprefix("DWSIM_").lower(): v for k, v in live.env.items() if k.startswith("DWSIM_")}
    )


def create(live: LiveStack, sizes: dict[str, int]) -> str:
    name = unique_name(f"{HOLD_PREFIX}life")
    answer = live.client.post("/api/experiments", json=fk_chain(name, live.warehouse, **sizes))
    assert answer.status_code == 201, answer.text
    return name


def generate(live: LiveStack, name: str, body: dict[str, Any] | None = None) -> int:
    answer = live.client.post(f"/api/experiments/{name}/generate", json=body or {})
    assert answer.status_code == 202, answer.text
    return int(answer.json()["run_id"])


def counts(live: LiveStack, name: str) -> list[int]:
    return query(live, name, CHECKSUMS)["rows"][0][:3]  # type: ignore[no-any-return]


def wait_loaded_some(live: LiveStack, name: str, run_id: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        run = live.client.get(f"/api/experiments/{name}/runs/{run_id}").json()
        if run["totals"]["loaded_rows"] > 0 or run["status"] not in ("QUEUED", "RUNNING"):
            assert run["status"] == "RUNNING", run
            return
        time.sleep(0.1)
    raise AssertionError("nothing was loaded in 120 s")


def test_a_cancelled_run_leaves_the_previous_data_live(live: LiveStack) -> None:
    name = create(live, SMALL)
    first = generate(live, name)
    assert live.wait_run(name, first)["status"] == "COMPLETED"
    before = counts(live, name)
    assert before == [2_000, 6_000, 12_000]

    second = generate(live, name, {"rows": {"orders": BIG["orders"], "order_items": BIG["items"]},
                                   "shard_size": BIG_SHARD})  # fmt: skip
    wait_loaded_some(live, name, second)
    assert counts(live, name) == before  # a run in progress is invisible to queries
    answer = live.client.post(f"/api/experiments/{name}/runs/{second}/cancel")
    assert answer.status_code == 200, answer.text
    assert live.wait_run(name, second)["status"] == "ABORTED"
    assert counts(live, name) == before
    runs = {r["run_id"]: r for r in live.client.get(f"/api/experiments/{name}/runs").json()["runs"]}
    assert runs[first]["live"] and not runs[second]["live"]
    # The run's staging is gone, once the tasks that were at work when it was cancelled end.
    wait_settled(live, name, second)
    assert not staging_exists(live, name, second)


def wait_settled(live: LiveStack, name: str, run_id: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        shards = live.client.get(f"/api/experiments/{name}/runs/{run_id}/shards").json()["shards"]
        if not any(s["status"] in ("GENERATING", "LOADING") for s in shards):
            return
        time.sleep(0.1)
    raise AssertionError(f"shards of run {run_id} still at work after 60 s")


def staging_exists(live: LiveStack, name: str, run_id: int) -> bool:
    settings = settings_of(live)
    staging = staging_name(name, run_id)
    if live.warehouse == "sqlite":
        return any(settings.sqlite_warehouse_dir.glob(f"{staging}.sqlite*"))
    if live.warehouse == "redshift":
        import psycopg2

        from dwsim_shared.warehouses.namespaces import live_namespace
        from dwsim_shared.warehouses.redshift import libpq_url

        assert settings.redshift_url is not None
        with psycopg2.connect(libpq_url(settings.redshift_url)) as conn, conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s",
                        (live_namespace(staging),))  # fmt: skip
            return cur.fetchone() is not None
    return False  # the emulator's schemas are checked in shared/tests/test_staging.py


def test_a_failed_run_leaves_the_previous_data_live(live: LiveStack) -> None:
    name = create(live, SMALL)
    first = generate(live, name)
    assert live.wait_run(name, first)["status"] == "COMPLETED"
    before = query(live, name, CHECKSUMS)["rows"]

    second = generate(live, name, {"rows": {"order_items": BIG["items"]}, "shard_size": BIG_SHARD})
    wait_loaded_some(live, name, second)
    # The run's staging goes away under the loader (as a warehouse that lost it would).
    internal = live.client.get(f"/api/experiments/{name}/runs/{second}").json()["internal_id"]
    make_warehouse(live.warehouse, settings_of(live)).drop_staging(name, [internal])
    run = live.wait_run(name, second)
    assert run["status"] == "FAILED"
    assert run["error"]
    assert query(live, name, CHECKSUMS)["rows"] == before


def test_reset_empties_the_live_tables_and_keeps_the_experiment(live: LiveStack) -> None:
    name = create(live, SMALL)
    run_id = generate(live, name)
    assert live.wait_run(name, run_id)["status"] == "COMPLETED"
    answer = live.client.post(f"/api/experiments/{name}/reset")
    assert answer.status_code == 200, answer.text
    assert sorted(answer.json()["tables_emptied"]) == ["customers", "order_items", "orders"]
    assert counts(live, name) == [0, 0, 0]
    assert live.client.get(f"/api/experiments/{name}").status_code == 200
    assert [
        r["run_id"] for r in live.client.get(f"/api/experiments/{name}/runs").json()["runs"]
    ] == [run_id]


def test_load_brings_back_an_earlier_run_with_the_same_checksums(live: LiveStack) -> None:
    name = create(live, SMALL)
    first = generate(live, name, {"seed": 11})
    assert live.wait_run(name, first)["status"] == "COMPLETED"
    original = query(live, name, CHECKSUMS)["rows"]
    second = generate(live, name, {"seed": 12})
    assert live.wait_run(name, second)["status"] == "COMPLETED"
    assert query(live, name, CHECKSUMS)["rows"] != original

    answer = live.client.post(f"/api/experiments/{name}/load", json={"run_id": first})
    assert answer.status_code == 202, answer.text
    loaded = live.wait_run(name, answer.json()["run_id"])
    assert (first, second, loaded["run_id"]) == (1, 2, 3)  # numbered within the experiment
    assert loaded["status"] == "COMPLETED", loaded["error"]
    assert loaded["kind"] == "load" and loaded["source_run_id"] == first and loaded["live"]
    assert loaded["totals"]["loaded_rows"] == sum(SMALL.values())
    assert query(live, name, CHECKSUMS)["rows"] == original

    # Default: the latest completed generate run.
    answer = live.client.post(f"/api/experiments/{name}/load")
    assert answer.status_code == 202 and answer.json()["source_run_id"] == second

    live.wait_run(name, answer.json()["run_id"])
    assert (
        live.client.post(f"/api/experiments/{name}/load", json={"run_id": 999_999}).status_code
        == 404
    )
    internal = live.client.get(f"/api/experiments/{name}/runs/{first}").json()["internal_id"]
    make_object_store(settings_of(live)).delete_prefix(f"experiments/{name}/orders/run_{internal}/")
    gone = live.client.post(f"/api/experiments/{name}/load", json={"run_id": first})
    assert gone.status_code == 409 and "is gone" in gone.json()["message"]


def test_reset_load_and_retry_refuse_what_cannot_be_done(live: LiveStack) -> None:
    name = create(live, SMALL)
    run_id = generate(live, name, {"rows": {"order_items": BIG["items"]}, "shard_size": BIG_SHARD})
    assert live.client.post(f"/api/experiments/{name}/reset").status_code == 409
    assert live.client.post(f"/api/experiments/{name}/load").status_code == 409
    retry = live.client.post(f"/api/experiments/{name}/runs/{run_id}/retry")
    assert retry.status_code == 409 and "only a FAILED run" in retry.json()["message"]
    live.client.post(f"/api/experiments/{name}/runs/{run_id}/cancel")
    live.wait_run(name, run_id)
    internal = live.client.get(f"/api/experiments/{name}/runs/{run_id}").json()["internal_id"]
    assert staging_name(name, internal).startswith("_r")


def test_a_run_says_its_data_is_live_before_its_report_is_done(live: LiveStack) -> None:
    """Published first, then reported: while the report runs (held by the stack's test-only
    switch for `held_report_*` experiments) the run is RUNNING, `published_at` set, its report
    pending, its data live and queryable, and it can no longer be cancelled; its final status
    arrives only with the report."""
    name = unique_name(f"{HOLD_PREFIX}report_")
    answer = live.client.post("/api/experiments", json=fk_chain(name, live.warehouse, **SMALL))
    assert answer.status_code == 201, answer.text
    run_id = generate(live, name)
    deadline = time.monotonic() + 120
    run: dict[str, Any] = {}
    while time.monotonic() < deadline:
        run = live.client.get(f"/api/experiments/{name}/runs/{run_id}").json()
        if run["published_at"] or run["status"] not in ("QUEUED", "RUNNING"):
            break
        time.sleep(0.05)
    assert run["status"] == "RUNNING" and run["published_at"], run
    assert run["report"] == {"state": "pending"} and run["verdict"] is None and run["live"]
    assert run["finished_at"] is None
    assert counts(live, name) == list(SMALL.values())  # queryable now
    cancel = live.client.post(f"/api/experiments/{name}/runs/{run_id}/cancel")
    assert cancel.status_code == 409 and "already published" in cancel.json()["message"]
    done = live.wait_run(name, run_id)
    assert done["status"] == "COMPLETED", done
    assert done["report"]["state"] == "done" and done["report"]["failed"] == 0
    assert done["verdict"].endswith("checks passed")
    assert done["published_at"] == run["published_at"] and done["finished_at"]

    # The CLI waiting on the next run says so too, before the final line.
    waited = dw_sim(live, "experiment", "generate", name, "--wait", "--timeout", "180")
    assert waited.returncode == 0, waited.stderr + waited.stdout
    assert "published: the data is live and queryable; validation report running" in waited.stderr
    assert "COMPLETED" in waited.stdout
