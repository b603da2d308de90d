"""OpenLineage through real processes: a local HTTP receiver collects a run's events, each
valid against the OpenLineage JSON schema (tests/openlineage_spec) with the facets the
simulator promises; a receiver answering 500 or hanging leaves runs completing as fast."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from dwsim_shared.devstack import Stack
from tests.conftest import unique_name
from tests.test_e2e import fk_chain

pytestmark = pytest.mark.integration

SPEC = Path(__file__).parent / "openlineage_spec"
SIZES = {"customers": 30, "orders": 50, "items": 80}


class Receiver:
    """An OpenLineage endpoint: keeps every event; `mode` is ok, 500 or hang."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.mode = "ok"
        self.seen = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.seen:
                    receiver.events.append(json.loads(body))
                    receiver.seen.notify_all()
                if receiver.mode == "hang":
                    time.sleep(30)
                self.send_response(500 if receiver.mode == "500" else 201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(
        self, job: str, run_id: str | None, state: str, timeout_s: float = 20
    ) -> dict[str, Any]:
        """The first `state` event of `job` (of its run `run_id`, or of any run when None)."""
        deadline = time.monotonic() + timeout_s
        with self.seen:
            while True:
                for event in self.events:
                    if (
                        event["job"]["name"] == job
                        and run_id in (None, event["run"]["runId"])
                        and event["eventType"] == state
                    ):
                        return event
                left = deadline - time.monotonic()
                assert left > 0, f"no {state} event of {job} in {timeout_s} s: {self.events}"
                self.seen.wait(left)

    def of(self, job: str) -> list[dict[str, Any]]:
        with self.seen:
            return [e for e in self.events if e["job"]["name"] in (job, f"{job}.validation")]


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.server.shutdown()


@pytest.fixture(scope="module")
def ol_stack(
    receiver: Receiver, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Stack, httpx.Client]]:
    env = {
        "DWSIM_HOME": str(tmp_path_factory.mktemp("ol-stack")),
        "DWSIM_OPENLINEAGE_URL": receiver.url,
        "DWSIM_OPENLINEAGE_TIMEOUT_S": "1",
    }
    stack = Stack(env=env, generator_workers=1, loader_workers=1)
    stack.start()
    try:
        with httpx.Client(base_url=stack.url, timeout=60) as client:
            yield stack, client
    finally:
        stack.stop(graceful=False)  # a test stack: its state is thrown away


def _validator(name: str) -> Any:
    resources = []
    for path in SPEC.glob("*.json"):
        schema = json.loads(path.read_text())
        resources.append((schema["$id"], Resource.from_contents(schema)))
    # A facet of another minor version of the client (e.g. JobTypeJobFacet 2-0-3 where the
    # shipped file is 2-0-4) is checked against the shipped version of the same facet.
    url = name.split("#")[0]
    if url not in {uri for uri, _ in resources}:
        local = SPEC / url.rsplit("/", 1)[-1]
        if local.exists():
            resources.append((url, Resource.from_contents(json.loads(local.read_text()))))
    registry = Registry().with_resources(resources)
    return Draft202012Validator(
        {"$ref": name}, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def check_schema(event: dict[str, Any]) -> None:
    """The event against the spec's RunEvent, and every standard facet against its own schema."""
    _validator("https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent").validate(event)
    facets = [*event["run"]["facets"].values(), *event["job"].get("facets", {}).values()]
    for dataset in [*event.get("inputs", []), *event.get("outputs", [])]:
        for key in ("facets", "inputFacets", "outputFacets"):
            facets += list((dataset.get(key) or {}).values())
    checked = 0
    for facet in facets:
        url = facet["_schemaURL"]
        if url.startswith("https://openlineage.io/spec/facets/"):
            _validator(url).validate(facet)
            checked += 1
    assert checked >= 2


def _run(client: httpx.Client, name: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = client.post(f"/api/experiments/{name}/generate", json=body)
    assert answer.status_code == 202, answer.text
    run_id = answer.json()["run_id"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        run = client.get(f"/api/experiments/{name}/runs/{run_id}").json()
        if run["status"] not in ("QUEUED", "RUNNING"):
            return run  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} not final")


def _seconds(run: dict[str, Any]) -> float:
    from datetime import datetime

    return (
        datetime.fromisoformat(run["finished_at"]) - datetime.fromisoformat(run["created_at"])
    ).total_seconds()


def _ol_run_id(client: httpx.Client, name: str, run_id: int) -> str:
    """The OpenLineage runId of run number `run_id`: the UUID of its internal id."""
    from dwsim_shared.lineage.openlineage import run_uuid

    run = client.get(f"/api/experiments/{name}/runs/{run_id}").json()
    return run_uuid(name, run["internal_id"])


def test_a_run_sends_valid_events_with_its_facets(
    receiver: Receiver, ol_stack: tuple[Stack, httpx.Client]
) -> None:
    stack, client = ol_stack
    receiver.mode = "ok"
    name = unique_name("ol")
    assert (
        client.post("/api/experiments", json=fk_chain(name, "sqlite", **SIZES)).status_code == 201
    )
    run = _run(client, name, {"shard_size": 40, "seed": 11})
    assert run["status"] == "COMPLETED", run["error"]
    ol_id = _ol_run_id(client, name, run["run_id"])
    start = receiver.wait_for(name, ol_id, "START")
    complete = receiver.wait_for(name, ol_id, "COMPLETE")
    dwsim = start["run"]["facets"]["dwsim"]
    assert dwsim["seed"] == 11 and dwsim["planDigest"] == run["plan_digest"]
    assert dwsim["runNumber"] == run["run_id"] and dwsim.get("sourceRunId") is None
    assert start["run"]["facets"]["nominalTime"]["nominalStartTime"]
    assert complete["job"]["facets"]["jobType"]["processingType"] == "BATCH"
    outputs = {(o["namespace"].split(":")[0], o["name"]): o for o in complete["outputs"]}
    objects = outputs[("file", f"experiments/{name}/orders/run_{run['internal_id']}")]
    assert objects["outputFacets"]["outputStatistics"]["rowCount"] == 50
    assert objects["outputFacets"]["outputStatistics"]["fileCount"] == 2
    assert objects["outputFacets"]["outputStatistics"]["size"] > 0
    table = outputs[("sqlite", f"{name}.orders")]
    assert [f["name"] for f in table["facets"]["schema"]["fields"]] == [
        "id", "customer_id", "amount", "ordered_at", "status"
    ]  # fmt: skip
    assert table["facets"]["dataSource"]["uri"].startswith("sqlite://")
    assert table["outputFacets"]["outputStatistics"]["rowCount"] == 50
    # the report's verdict follows the published data: its event may come after the run's
    done = receiver.wait_for(f"{name}.validation", None, "COMPLETE")
    assert done["run"]["facets"]["parent"]["run"]["runId"] == ol_id
    assertions = {
        i["name"]: i["inputFacets"]["dataQualityAssertions"]["assertions"] for i in done["inputs"]
    }
    assert set(assertions) == {f"{name}.customers", f"{name}.orders", f"{name}.order_items"}
    assert all(a["success"] for found in assertions.values() for a in found)

    # A cancelled run ends with ABORT; a failed one with FAIL and its error.
    big = {"rows": {"order_items": 2_000_000}, "shard_size": 100_000}
    answer = client.post(f"/api/experiments/{name}/generate", json=big)
    cancelled = answer.json()["run_id"]
    assert client.post(f"/api/experiments/{name}/runs/{cancelled}/cancel").status_code == 200
    receiver.wait_for(name, _ol_run_id(client, name, cancelled), "ABORT")
    home = Path(stack.env["DWSIM_HOME"])
    internal = client.get(f"/api/experiments/{name}/runs/{cancelled}").json()["internal_id"]
    blocker = home / "objects" / "experiments" / name / "orders" / f"run_{internal + 1}"
    blocker.write_text("in the way")
    failed = _run(client, name, {"shard_size": 40})
    assert failed["run_id"] == cancelled + 1 and failed["status"] == "FAILED"
    fail = receiver.wait_for(name, _ol_run_id(client, name, failed["run_id"]), "FAIL")
    assert fail["run"]["facets"]["errorMessage"]["message"] == failed["error"]
    for event in receiver.of(name):
        check_schema(event)


def test_a_failing_or_hanging_endpoint_never_slows_a_run(
    receiver: Receiver, ol_stack: tuple[Stack, httpx.Client]
) -> None:
    stack, client = ol_stack
    name = unique_name("olslow")
    assert (
        client.post("/api/experiments", json=fk_chain(name, "sqlite", **SIZES)).status_code == 201
    )
    timings: dict[str, float] = {}
    for mode in ("ok", "500", "hang"):
        receiver.mode = mode
        for _ in range(2):  # the faster of two runs: one run's time is noisy on a busy machine
            run = _run(client, name, {"shard_size": 40})
            assert run["status"] == "COMPLETED", (mode, run["error"])
            timings[mode] = min(timings.get(mode, float("inf")), _seconds(run))
            receiver.wait_for(name, _ol_run_id(client, name, run["run_id"]), "COMPLETE")
    receiver.mode = "ok"
    # Sending is asynchronous: each event of a hanging endpoint costs its 1 s timeout in the
    # background, never in the run (a synchronous send would add several seconds).
    assert timings["500"] < timings["ok"] + 1.5, timings
    assert timings["hang"] < timings["ok"] + 1.5, timings
    logs = "".join(p.log_path.read_text() for p in stack.processes)
    assert "OpenLineage" in logs and "not sent" in logs
