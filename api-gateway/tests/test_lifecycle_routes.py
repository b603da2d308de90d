"""Life-cycle routes in-process (no workers): delete with an unreachable warehouse, what an
unserved run waits for, and the refusals of reset, load and retry."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from dwsim_shared.state.models import RunRow
from dwsim_shared.testing.servers import free_port

from .conftest import GatewayFactory, small_experiment


def test_delete_succeeds_with_a_warning_when_the_warehouse_cannot_be_reached(
    gateway: GatewayFactory,
) -> None:
    client = gateway(redshift_url=f"postgresql://postgres@127.0.0.1:{free_port()}/gone")
    for name, warehouse in (("away", "redshift"), ("unset", "snowflake")):
        document = {**small_experiment(name), "target_warehouse": warehouse}
        assert client.post("/api/experiments", json=document).status_code == 201
        answer = client.delete(f"/api/experiments/{name}")
        assert answer.status_code == 200, answer.text
        [warning] = answer.json()["warnings"]
        assert f"{warehouse} warehouse" in warning and "was not dropped" in warning
        assert "Error" not in warning  # no library class names
        assert client.get(f"/api/experiments/{name}").status_code == 404
    assert client.post("/api/experiments", json=small_experiment("fine")).status_code == 201
    assert client.delete("/api/experiments/fine").status_code == 204


def test_an_unserved_run_says_what_it_waits_for(gateway: GatewayFactory) -> None:
    client = gateway()
    assert client.post("/api/experiments", json=small_experiment("idle")).status_code == 201
    run_id = client.post("/api/experiments/idle/generate", json={}).json()["run_id"]
    run = client.get(f"/api/experiments/idle/runs/{run_id}").json()
    assert run["status"] == "QUEUED"
    assert run["waiting_for"] == "waiting for a loader worker"
    assert run["live"] is False and run["source_run_id"] is None
    assert client.post("/api/experiments/idle/reset").status_code == 409
    assert client.post("/api/experiments/idle/load").status_code == 409
    retry = client.post(f"/api/experiments/idle/runs/{run_id}/retry")
    assert retry.status_code == 409 and "only a FAILED run" in retry.json()["message"]
    assert client.post(f"/api/experiments/idle/runs/{run_id + 9}/retry").status_code == 404
    client.post(f"/api/experiments/idle/runs/{run_id}/cancel")
    nothing = client.post("/api/experiments/idle/load")
    assert nothing.status_code == 409 and "no completed generate run" in nothing.json()["message"]
    assert client.post("/api/experiments/idle/load", json={"run_id": run_id}).status_code == 409
    assert client.post("/api/experiments/idle/load", json={"run_id": 0}).status_code == 422
    reset = client.post("/api/experiments/idle/reset")
    assert reset.status_code == 200 and reset.json()["tables_emptied"] == []
    assert reset.json()["workspace_cleared"] is False
    # SQLite has no workspace: asking to empty one is refused by name.
    refused = client.post("/api/experiments/idle/reset", json={"workspace": True})
    assert refused.status_code == 409 and "has no workspace" in refused.json()["message"]


def test_retry_reopens_only_the_latest_failed_run(gateway: GatewayFactory) -> None:
    client = gateway()
    assert client.post("/api/experiments", json=small_experiment("again")).status_code == 201
    first = client.post("/api/experiments/again/generate", json={}).json()["run_id"]
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    with runtime.session() as session:
        session.execute(update(RunRow).where(RunRow.number == first).values(status="FAILED"))
        session.commit()
    second = client.post("/api/experiments/again/generate", json={}).json()["run_id"]
    with runtime.session() as session:
        session.execute(update(RunRow).where(RunRow.number == second).values(status="FAILED"))
        session.commit()
    older = client.post(f"/api/experiments/again/runs/{first}/retry")
    assert older.status_code == 409 and "not the latest run" in older.json()["message"]
    retried = client.post(f"/api/experiments/again/runs/{second}/retry")
    assert retried.status_code == 202, retried.text
    assert retried.json()["status"] == "RUNNING"
    assert client.get(f"/api/experiments/again/runs/{second}").json()["error"] is None


def test_runs_are_numbered_per_experiment_and_seeds_travel_as_strings(
    gateway: GatewayFactory,
) -> None:
    client = gateway()
    seed = "9223372036854775801"  # 19 digits: a JSON number would lose its last ones in a browser
    for name in ("numa", "numb"):
        assert client.post("/api/experiments", json=small_experiment(name)).status_code == 201
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    numbers = []
    for name in ("numa", "numb", "numa"):
        answer = client.post(f"/api/experiments/{name}/generate", json={"seed": seed})
        assert answer.status_code == 202, answer.text
        assert answer.json()["seed"] == seed
        numbers.append(answer.json()["run_id"])
        assert answer.json()["links"]["run"].endswith(f"/runs/{numbers[-1]}")
        client.post(f"/api/experiments/{name}/runs/{numbers[-1]}/cancel")
    assert numbers == [1, 1, 2]
    run = client.get("/api/experiments/numa/runs/2").json()
    assert run["run_id"] == 2 and run["seed"] == seed and run["status"] == "ABORTED"
    # a number given as a JSON number still works (the CLI sends one)
    assert client.post("/api/experiments/numb/generate", json={"seed": 7}).json()["seed"] == "7"
    missing = client.get("/api/experiments/numb/runs/3")
    assert missing.status_code == 404 and "has no run 3" in missing.json()["message"]
    listed = client.get("/api/experiments").json()["experiments"]
    assert {e["name"]: e["last_run"]["run_id"] for e in listed} == {"numa": 2, "numb": 2}
    with runtime.session() as session:
        internal = session.get(RunRow, run["internal_id"])
        assert internal is not None and internal.number == 2


def test_a_retry_counts_its_duration_from_its_own_start(gateway: GatewayFactory) -> None:
    client = gateway()
    assert client.post("/api/experiments", json=small_experiment("late")).status_code == 201
    number = client.post("/api/experiments/late/generate", json={}).json()["run_id"]
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    long_ago = dt.datetime(2020, 1, 1)
    with runtime.session() as session:
        session.execute(
            update(RunRow)
            .where(RunRow.number == number)
            .values(status="FAILED", started_at=long_ago, finished_at=long_ago)
        )
        session.commit()
    assert client.post(f"/api/experiments/late/runs/{number}/retry").status_code == 202
    started = client.get(f"/api/experiments/late/runs/{number}").json()["started_at"]
    assert dt.datetime.fromisoformat(started).replace(tzinfo=None) > long_ago + dt.timedelta(
        days=365
    )
