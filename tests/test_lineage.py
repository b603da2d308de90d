"""Lineage through real processes: a run, a reset, a load of a kept run, an update and a failed
run retried give the expected graph, through the API and the CLI alike (compared
structurally), with a checksum recorded for every object."""

from __future__ import annotations

import hashlib
import io
import json
import time
from pathlib import Path
from typing import Any

import pytest

from dwsim_cli.main import main as cli
from tests.conftest import LiveStack, unique_name
from tests.test_e2e import fk_chain

pytestmark = pytest.mark.integration

SIZES = {"customers": 30, "orders": 50, "items": 80}
SHARD = 40  # customers: 1 shard, orders: 2, order_items: 2
TABLES = {"customers": 1, "orders": 2, "order_items": 2}


def _structure(graph: dict[str, Any]) -> tuple[set[str], set[tuple[str, str, str]], list[Any]]:
    nodes = {n["id"] for n in graph["nodes"]}
    edges = {(e["source"], e["type"], e["target"]) for e in graph["edges"]}
    history = [(e["kind"], e["run_id"]) for e in graph["events"]]
    return nodes, edges, history


def _expected(runs: dict[str, int]) -> tuple[set[str], set[tuple[str, str, str]], list[Any]]:
    first, reload, third = runs["first"], runs["reload"], runs["third"]
    nodes = {"version:1", "version:2", f"run:{first}", f"run:{reload}", f"run:{third}"}
    edges = {
        ("version:1", "submitted", f"run:{first}"),
        ("version:2", "submitted", f"run:{third}"),
        (f"run:{first}", "reloaded_by", f"run:{reload}"),
    }
    for table, shards in TABLES.items():
        nodes |= {f"table:{table}"}
        for run in (first, reload, third):
            nodes.add(f"load:{run}:{table}")
            edges.add((f"load:{run}:{table}", "published_to", f"table:{table}"))
        for index in range(shards):
            for owner, loads in ((first, (first, reload)), (third, (third,))):
                obj = f"object:{owner}:{table}:{index}"
                nodes.add(obj)
                edges.add((f"run:{owner}", "wrote", obj))
                edges |= {(obj, "loaded_into", f"load:{run}:{table}") for run in loads}
    history = [
        ("create", None), ("generate", first), ("publish", first), ("reset", first),
        ("load", reload), ("publish", reload), ("update", None), ("generate", third),
        ("fail", third), ("retry", third), ("publish", third),
    ]  # fmt: skip
    return nodes, edges, history


def _cli(live: LiveStack, *argv: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    code = cli([*argv, "--url", live.url], env={}, out=out, err=err)
    assert code == 0, err.getvalue()
    return out.getvalue()


@pytest.mark.parametrize("live", ["embedded"], indirect=True)
def test_run_reset_load_update_and_retry_make_the_expected_graph(live: LiveStack) -> None:
    name = unique_name("lineage")
    document = fk_chain(name, live.warehouse, **SIZES)
    assert live.client.post("/api/experiments", json=document).status_code == 201
    runs: dict[str, int] = {}

    def submit(path: str, body: dict[str, Any]) -> int:
        answer = live.client.post(f"/api/experiments/{name}/{path}", json=body)
        assert answer.status_code == 202, answer.text
        return int(answer.json()["run_id"])

    runs["first"] = submit("generate", {"shard_size": SHARD})
    assert live.wait_run(name, runs["first"])["status"] == "COMPLETED"
    assert live.client.post(f"/api/experiments/{name}/reset").status_code == 200
    runs["reload"] = submit("load", {"run_id": runs["first"]})
    assert live.wait_run(name, runs["reload"])["status"] == "COMPLETED"

    document["tables"][1]["columns"][2]["max_value"] = 500  # orders.amount: version 2
    assert live.client.put(f"/api/experiments/{name}", json=document).status_code == 200
    # A file where the run's folder must go: the generator cannot write orders, the run fails.
    # Folders are physical names: by the run's internal id, which the next run takes + 1.
    reload_internal = live.wait_run(name, runs["reload"])["internal_id"]
    objects = Path(live.env["DWSIM_HOME"]) / "objects" / "experiments" / name / "orders"
    blocker = objects / f"run_{reload_internal + 1}"
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("in the way")
    runs["third"] = submit("generate", {"shard_size": SHARD})
    assert runs["third"] == runs["reload"] + 1
    assert live.wait_run(name, runs["third"])["status"] == "FAILED"
    blocker.unlink()
    retried = live.client.post(f"/api/experiments/{name}/runs/{runs['third']}/retry")
    assert retried.status_code == 202, retried.text
    assert live.wait_run(name, runs["third"])["status"] == "COMPLETED"

    graph = live.client.get(f"/api/experiments/{name}/lineage").json()
    assert _structure(graph) == _expected(runs)
    # Run ids are the experiment's run numbers, whatever internal ids the stack gave them.
    assert (runs["first"], runs["reload"], runs["third"]) == (1, 2, 3)
    assert graph["live_run_id"] == runs["third"]
    nodes = {n["id"]: n for n in graph["nodes"]}
    assert {n["state"] for n in nodes.values() if n["type"] == "table"} == {"live"}
    live_edges = {(e["source"], e["target"]) for e in graph["edges"] if e.get("live")}
    assert live_edges == {(f"load:{runs['third']}:{t}", f"table:{t}") for t in TABLES}
    first = nodes[f"run:{runs['first']}"]
    assert first["seed"] == "7" and first["row_targets"] == {
        "customers": 30, "orders": 50, "order_items": 80
    }  # fmt: skip
    provenance = first["provenance"]
    assert set(provenance["libraries"]) == {"faker", "numpy", "pyarrow"}
    assert provenance["project_version"] and len(provenance["lock_digest"]) == 64
    assert nodes[f"run:{runs['reload']}"]["provenance"] == provenance
    # Every object's recorded checksum is the SHA-256 of the bytes in the object store.
    store = Path(live.env["DWSIM_HOME"]) / "objects"
    for node in (n for n in nodes.values() if n["type"] == "object"):
        data = (store / node["key"]).read_bytes()
        assert node["checksum"] == hashlib.sha256(data).hexdigest(), node["key"]
        assert node["bytes"] == len(data) and node["rows"] > 0

    focused = live.client.get(f"/api/experiments/{name}/lineage?run={runs['reload']}").json()
    ids = {n["id"] for n in focused["nodes"]}
    assert {f"run:{runs['first']}", f"run:{runs['reload']}", "version:1"} <= ids
    assert f"run:{runs['third']}" not in ids and "version:2" not in ids
    assert live.client.get(f"/api/experiments/{name}/lineage?run=999999").status_code == 404

    diff = live.client.get(
        f"/api/experiments/{name}/lineage/diff?a={runs['first']}&b={runs['third']}"
    ).json()
    assert diff["document"]["changed"] == ["tables[orders].columns[amount].max_value"]
    assert diff["seed"]["same"] and not diff["plan_digest"]["same"]
    assert not diff["same_data_expected"]
    assert all(p["same"] for p in diff["versions"].values())

    # OpenLineage's default transport: a JSON-lines file in the data folder, every step sent.
    from dwsim_shared.lineage.openlineage import run_uuid

    sent = Path(live.env["DWSIM_HOME"]) / "openlineage" / "events.jsonl"
    third = run_uuid(name, nodes[f"run:{runs['third']}"]["internal_id"])
    deadline = time.monotonic() + 20
    while True:
        lines = [json.loads(line) for line in sent.read_text().splitlines()]
        states = [e["eventType"] for e in lines if e["run"]["runId"] == third]
        if len(states) >= 4 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert sorted(states) == ["COMPLETE", "FAIL", "START", "START"]

    # The CLI shows the same graph; DOT and text name what matters.
    as_json = json.loads(_cli(live, "experiment", "lineage", name, "--format", "json"))
    assert _structure(as_json) == _structure(graph)
    dot = _cli(live, "experiment", "lineage", name, "--format", "dot")
    assert dot.startswith("digraph") and f'"run:{runs["third"]}"' in dot
    text = _cli(live, "experiment", "lineage", name, "--run", str(runs["third"]))
    assert f"run {runs['third']} generate COMPLETED  LIVE" in text
    diff_text = _cli(
        live, "experiment", "lineage-diff", name, str(runs["first"]), str(runs["third"])
    )
    assert "changed tables[orders].columns[amount].max_value" in diff_text
