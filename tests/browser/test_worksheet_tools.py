"""The worksheet's tools in a real browser at 1440 and 390 px: EXPLAIN as an indented tree,
paging past the row cap, a quick bar chart of two result columns (the vendored uPlot, served
by the gateway), histograms in a table profile; no page errors, no failed requests, no
sideways scroll."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from .test_journey import Journey, _type_sql
from .test_rules_and_sample import strict  # noqa: F401  (the fixture)

pytestmark = pytest.mark.integration


def _experiment(name: str) -> dict[str, Any]:
    return {"name": name, "seed": 3, "tables": [
        {"name": "customers", "target_rows": 250, "primary_key": ["id"], "columns": [
            {"name": "id", "data_type": "BIGINT"},
            {"name": "tier", "data_type": "VARCHAR", "varchar_length": 8,
             "choices": ["free", "pro", "max"], "weights": [6, 3, 1]},
            {"name": "stars", "data_type": "INT", "min_value": 1, "max_value": 5}]},
    ]}  # fmt: skip


def _loaded(client: Any) -> str:
    name = f"t{uuid.uuid4().hex[:8]}"
    assert client.post("/api/experiments", json=_experiment(name)).status_code == 201
    run_id = client.post(f"/api/experiments/{name}/generate", json={}).json()["run_id"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = client.get(f"/api/experiments/{name}/runs/{run_id}").json()["status"]
        if status.startswith("COMPLETED"):
            return name
        assert status not in ("FAILED", "ABORTED"), status
        time.sleep(0.3)
    raise AssertionError("the run did not finish")


def test_explain_paging_chart_and_histograms(
    strict: Journey,  # noqa: F811
    live_url: str,
    live_client: Any,
) -> None:
    page = strict.page
    name = _loaded(live_client)
    page.goto(f"{live_url}/ui/")
    page.get_by_role("button", name=name, exact=True).click()
    page.get_by_role("button", name="Insert table customers").wait_for()

    # EXPLAIN: the engine's plan as a tree, nothing run.
    _type_sql(page, "SELECT tier, COUNT(*) AS n FROM customers GROUP BY tier ORDER BY n DESC")
    page.click("#query-explain")
    page.locator("#plan-meta").filter(has_text="sqlite engine's plan").wait_for()
    nodes = page.locator("#plan-tree .plan-node").all_inner_texts()
    assert any(n.startswith("SCAN") for n in nodes), nodes
    assert page.locator("#plan-tree .plan-tree .plan-tree").count() >= 0
    strict.no_sideways_scroll()
    strict.shot("explain")

    # A quick bar chart of two result columns.
    page.click("#query-run")
    page.locator("#query-meta").filter(has_text="3 rows").wait_for()
    assert page.locator("#chart-y").input_value() == "1"  # n, the numeric column
    assert page.locator("#chart-x").input_value() == "0"  # by tier
    page.click("#chart-draw")
    page.locator("#chart-status").filter(has_text="Bar chart of n by tier: 3 points").wait_for()
    assert page.locator("#chart-area canvas").count() >= 1
    assert page.evaluate("document.querySelector('#chart-area').dataset.points") == "3"
    strict.no_sideways_scroll()
    strict.shot("chart")

    # Paging past the row cap: 100 rows a page, the service skips the rows before.
    _type_sql(page, "SELECT id, stars FROM customers ORDER BY id")
    page.fill("#query-limit", "100")
    page.click("#query-run")
    # (expect: a failure shows what the result bar said instead)
    expect(page.locator("#query-meta")).to_contain_text("rows 1 to 100", timeout=60_000)
    page.click("#result-next")
    page.locator("#query-meta").filter(has_text="rows 101 to 200").wait_for()
    assert page.locator("#query-body tr").first.locator("td").first.inner_text() == "101"
    page.click("#result-next")
    page.locator("#query-meta").filter(has_text="rows 201 to 250").wait_for()
    assert page.locator("#result-next").is_hidden()
    page.click("#result-prev")
    page.locator("#query-meta").filter(has_text="rows 101 to 200").wait_for()

    # Histograms in the profile: one bar per star value, counts that add up.
    page.get_by_role("button", name="Profile customers").click()
    page.locator("#inspect-meta").filter(has_text="250 rows").wait_for()
    bars = page.locator("#inspect-body tr", has_text="stars").locator(".histo-bar")
    assert bars.count() == 5
    label = page.locator("#inspect-body tr", has_text="stars").locator(".histogram")
    counts = label.get_attribute("aria-label").removeprefix("histogram: ").split(", ")
    assert sum(int(c.replace(",", "")) for c in counts) == 250
    strict.no_sideways_scroll()
    strict.shot("profile")


# The screen box of the first occurrence of `word` in the editor's text.
WORD_BOX = """(word) => {
  const walker = document.createTreeWalker(document.querySelector('#query-editor .cm-content'),
    NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.data.indexOf(word);
    if (at < 0) continue;
    const range = document.createRange();
    range.setStart(node, at);
    range.setEnd(node, at + word.length);
    const r = range.getBoundingClientRect();
    return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
  }
  return null;
}"""


def test_function_hover_and_completion_from_the_catalogue(
    strict: Journey,  # noqa: F811
    live_url: str,
    live_client: Any,
) -> None:
    page = strict.page
    name = f"f{uuid.uuid4().hex[:8]}"
    assert live_client.post("/api/experiments", json=_experiment(name)).status_code == 201
    page.goto(f"{live_url}/ui/")
    page.get_by_role("button", name=name, exact=True).click()
    page.get_by_role("button", name="Insert table customers").wait_for()
    _type_sql(page, "SELECT ROUND(stars, 1), IFF(stars > 2, 1, 0), AGE(stars) FROM customers")
    page.wait_for_function("document.querySelector('#query-editor').dataset !== undefined")

    # Hover: the catalogue's card for the call under the mouse.
    box = page.evaluate(WORD_BOX, "ROUND")
    card = page.locator("#fn-hover")
    for _ in range(20):  # the catalogue arrives once per experiment, shortly after the schema
        page.mouse.move(box["x"], box["y"] + 1)
        page.mouse.move(box["x"], box["y"])
        if card.is_visible():
            break
        page.wait_for_timeout(150)
    assert "ROUND(x1[, x2])" in card.inner_text()
    assert "runs on the sqlite engine" in card.inner_text()
    assert "docs.aws.amazon.com/redshift" in card.inner_text()
    strict.no_sideways_scroll()
    strict.shot("hover")
    page.mouse.move(5, 5)
    card.wait_for(state="hidden")

    # The cursor on a call: the help line says it, for a function of the other dialect too.
    box = page.evaluate(WORD_BOX, "IFF")
    page.mouse.click(box["x"], box["y"])
    help_line = page.locator("#fn-help")
    help_line.filter(has_text="Snowflake SQL, refused in Redshift SQL").wait_for()
    assert "CASE WHEN" in help_line.inner_text()
    # A function of the vendor's reference that the simulator refuses: the help says why.
    box = page.evaluate(WORD_BOX, "AGE")
    page.mouse.click(box["x"], box["y"])
    help_line.filter(has_text="AGE (Redshift SQL) is not supported by the simulator").wait_for()
    assert "leader node" in help_line.inner_text()

    # Completion offers the dialect's functions with their signature.
    _type_sql(page, "SELECT DATE_TR")
    page.keyboard.press("Control+Space")
    option = page.locator(".cm-tooltip-autocomplete li", has_text="DATE_TRUNC")
    option.first.wait_for()
    assert "DATE_TRUNC(x1, x2)" in option.first.inner_text()
    assert page.locator(".cm-tooltip-autocomplete li", has_text="IFF").count() == 0
    strict.no_sideways_scroll()
