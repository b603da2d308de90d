"""The Lineage tab in a real browser at a desktop and a phone width: the graph of a run and
a load of it is drawn as SVG with the live path highlighted (run ids are the experiment's run
numbers), a run shows its details and bundle export, and opens in the Runs tab."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from tests.browser.test_journey import Journey, journey  # noqa: F401 (the fixture)

pytestmark = pytest.mark.integration


def test_lineage_view_draws_the_graph_and_opens_a_run(
    journey: Journey,  # noqa: F811
    live_url: str,
    live_client: Any,
) -> None:
    page = journey.page
    name = f"l{uuid.uuid4().hex[:8]}"
    doc = {"name": name, "tables": [{"name": "t", "target_rows": 60,
                                      "columns": [{"name": "id", "data_type": "INT"}]}]}  # fmt: skip
    assert live_client.post("/api/experiments", json=doc).status_code == 201
    first = live_client.post(f"/api/experiments/{name}/generate", json={"shard_size": 25}).json()
    _completed(live_client, name, first["run_id"])
    answer = live_client.post(f"/api/experiments/{name}/load", json={"run_id": first["run_id"]})
    second = answer.json()["run_id"]
    _completed(live_client, name, second)
    # Both runs are over (waited through the API: the shared stack may be busy with other
    # tests' runs), so the list the page loads shows them at once.
    page.goto(f"{live_url}/ui/")
    page.get_by_role("button", name=name, exact=True).click()
    page.get_by_role("tab", name="Runs", exact=True).click()
    page.locator("#runs-body .status-completed").nth(1).wait_for(timeout=30_000)

    assert (first["run_id"], second) == (1, 2)  # numbered in the experiment
    page.get_by_role("tab", name="Lineage", exact=True).click()
    graph = page.locator("#lineage-graph svg.lineage-graph")
    graph.wait_for()
    nodes = page.locator("#lineage-graph .lineage-node")
    # version, 2 runs, objects of t (folded: 3 shards), 2 loads, 1 table
    assert nodes.count() == 7
    assert page.locator(".node-objects .lineage-label").text_content() == "t: 3 objects"
    live = page.locator(".lineage-node.live")
    assert set(live.evaluate_all("ns => ns.map(n => n.dataset.id)")) == {
        f"run:{second}", f"objects:{first['run_id']}:t", f"load:{second}:t", "table:t"
    }  # fmt: skip
    assert page.locator(".lineage-edge.live").count() == 2  # objects -> load -> table
    journey.shot("lineage")
    journey.no_sideways_scroll()
    page.get_by_role("button", name=f"Show run {first['run_id']}").click()
    details = page.locator("#lineage-run")
    details.wait_for()
    assert f"Run #{first['run_id']}: generate, COMPLETED" in details.inner_text()
    assert details.get_by_role("link", name="report").get_attribute("href") == (
        f"/api/experiments/{name}/runs/{first['run_id']}/report"
    )
    with page.expect_download() as saved:
        details.get_by_role("button", name="Export bundle").click()
    assert saved.value.suggested_filename == f"{name}-run{first['run_id']}.tar.gz"
    assert saved.value.path().stat().st_size > 1000
    details.get_by_role("button", name="Open in Runs").click()  # the run's shard view
    page.locator("#run-view").wait_for()
    assert page.get_by_role("tab", name="Runs", exact=True).get_attribute("aria-selected") == "true"
    assert page.locator("#run-view-title").inner_text() == f"Run #{first['run_id']}: shards"


def _completed(client: Any, name: str, run_id: int, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    status = None
    while time.monotonic() < deadline:
        status = client.get(f"/api/experiments/{name}/runs/{run_id}").json()["status"]
        if status not in ("QUEUED", "RUNNING"):
            break
        time.sleep(0.25)
    assert status == "COMPLETED", f"run {run_id} of {name}: {status}"
