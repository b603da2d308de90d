"""The analyst's journey in a real browser (Debian's chromium driven by Playwright), at a desktop
and a phone width: import DDL, generate, watch progress, schema panel, preview, profile,
Ctrl+Space completion, Ctrl+Enter, save a query, reopen it from the list and from history, a
run's shard view; no page errors, no horizontal overflow.

Screenshots of each step go to `$DWSIM_SCREENSHOTS` when it is set.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
SHOTS = os.environ.get("DWSIM_SCREENSHOTS")


class Journey:
    def __init__(self, page: Any, width: int) -> None:
        self.page = page
        self.width = width
        self.step = 0

    def shot(self, name: str) -> None:
        self.step += 1
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            self.page.screenshot(
                path=f"{SHOTS}/{self.width}-{self.step:02d}-{name}.png", full_page=True
            )

    def no_sideways_scroll(self) -> None:
        overflow = self.page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1, f"the page is {overflow}px wider than the {self.width}px window"


@pytest.fixture(params=[1440, 390], ids=["1440px", "390px"])
def journey(request: pytest.FixtureRequest, browser: Any) -> Iterator[Journey]:
    width: int = request.param
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    page.on(
        "console",
        lambda msg: (
            errors.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None
        ),
    )
    # Anything but the gateway itself is an error: the UI must work offline.
    page.route(
        re.compile(r"^(?!http://127\.0\.0\.1:)"),
        lambda route: (errors.append(f"external request: {route.request.url}"), route.abort()),
    )
    yield Journey(page, width)
    context.close()
    # A 4xx the journey provokes on purpose is logged by chromium as a failed resource load.
    real = [e for e in errors if "status of 409" not in e]
    assert not real, "\n".join(real)


def test_analyst_journey(journey: Journey, live_url: str) -> None:
    page = journey.page
    name = f"j{uuid.uuid4().hex[:8]}"
    page.goto(f"{live_url}/ui/")
    page.get_by_role("heading", name="Experiments").wait_for()
    journey.no_sideways_scroll()
    journey.shot("start")

    # Import the README's Redshift DDL, as a user pastes it.
    page.get_by_role("tab", name="Import DDL").click()
    page.fill("#import-name", name)
    page.fill("#import-sql", (EXAMPLES / "redshift_shop.sql").read_text())
    page.fill("#import-rows", "customers=2000\norders=6000\norder_items=12000")
    assert page.locator("#import-warehouse option[value='snowflake']").count() == 1
    page.click("#import-submit")
    page.wait_for_selector("#import-summary:has-text('Imported')")
    page.get_by_role("heading", name=name).wait_for()
    # The worksheet is what an opened experiment shows first, in view without scrolling.
    assert page.get_by_role("tab", name="Worksheet").get_attribute("aria-selected") == "true"
    editor_box = page.locator("#query-editor").bounding_box()
    assert editor_box is not None and editor_box["y"] + 40 < 900, editor_box
    journey.shot("imported")

    # The per-table generate grid: default rows, rules as badges, composite key noted.
    page.get_by_role("tab", name="Data").click()
    grid = page.locator("#gen-tables")
    grid.locator("input[aria-label='Rows of customers']").wait_for()
    assert grid.locator("input[aria-label='Rows of orders']").input_value() == "6000"
    assert grid.locator(".rule.inferred", has_text="faker email").count() >= 1
    assert grid.locator(".rule-key").count() >= 3
    assert "composite key" in (page.locator("#experiment-notes").text_content() or "")
    page.fill("#gen-seed", "11")
    page.fill("#gen-shard", "3000")
    journey.no_sideways_scroll()
    page.click("#generate-submit")

    # Progress, then the run in the list with its duration and rows/s.
    page.wait_for_selector("#progress-title .badge")
    journey.shot("progress")
    page.wait_for_selector("#progress-title .status-completed", timeout=120_000)
    page.get_by_role("tab", name="Runs").click()
    row = page.locator("#runs-body tr").first
    row.locator(".status-completed").wait_for()
    cells = row.locator("td").all_inner_texts()
    assert re.search(r"\d s$", cells[5]), cells
    assert re.match(r"^[\d,]+$", cells[6]), cells

    # The run's shard view and its Parquet objects.
    row.get_by_role("button", name=re.compile("Show progress and shards")).click()
    page.wait_for_selector("#run-view-body tr")
    shards = page.locator("#run-view-body tr")
    assert shards.count() == 1 + 2 + 4
    assert page.locator("#run-view-body .status-loaded").count() == 7
    objects = page.locator("#run-objects li").all_inner_texts()
    assert len(objects) == 7 and all(o.endswith(".parquet") for o in objects)
    journey.no_sideways_scroll()
    journey.shot("shards")

    # The schema panel: tables with row counts and columns; the diagram draws the links.
    page.get_by_role("tab", name="Worksheet").click()
    tree = page.locator("#schema-tree")
    tree.get_by_text("2,000 rows", exact=True).wait_for()
    assert tree.get_by_role("button", name="Insert column customers.email").count() == 1
    assert page.locator("#schema-diagram svg .erd-link").count() == 2
    assert page.locator("#schema-diagram svg .erd-table").count() == 3

    # Preview and profile, computed in the warehouse.
    tree.get_by_role("button", name="Preview customers").click()
    page.wait_for_selector("#inspect-meta:has-text('first 50 rows')")
    assert page.locator("#inspect-body tr").count() == 50
    journey.shot("preview")
    tree.get_by_role("button", name="Profile orders").click()
    page.wait_for_selector("#inspect-meta:has-text('6,000 rows')")
    profile = page.locator("#inspect-body tr", has_text="customer_id")
    assert "0.0%" in profile.inner_text()
    journey.no_sideways_scroll()
    journey.shot("profile")

    # The default query names a real table of the experiment.
    editor = page.locator("#query-editor .cm-content")
    assert "FROM customers" in editor.inner_text()

    # Ctrl+Space completes a column name; Ctrl+Enter runs.
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    page.keyboard.type("SELECT country_")
    page.keyboard.press("Control+Space")
    option = page.locator(".cm-tooltip-autocomplete li", has_text="country_code")
    option.first.wait_for()
    # CodeMirror ignores Enter for 75 ms after the list opens (interactionDelay).
    page.wait_for_timeout(200)
    page.keyboard.press("Enter")
    page.keyboard.type(", COUNT(*) AS n FROM customers GROUP BY 1 ORDER BY 2 DESC")
    assert "SELECT country_code, COUNT(*)" in editor.inner_text()
    journey.shot("completion")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#query-meta:has-text('rows')")
    assert page.locator("#query-head th").all_inner_texts() == ["country_code", "n"]
    journey.shot("result")

    # Save it, replace the editor's text, reopen it from the saved list and from history.
    page.fill("#save-name", "by_country")
    page.click("#save-submit")
    page.wait_for_selector("#saved-list li:has-text('by_country')")
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.type("SELECT 1")
    page.get_by_role("button", name="Open saved query by_country").click()
    assert "GROUP BY 1" in editor.inner_text()
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.type("SELECT 2")
    history = page.locator("#history-list li").first
    history.wait_for()
    history.get_by_role("button").click()
    assert "country_code" in editor.inner_text()
    page.get_by_role("button", name="Run saved query by_country").click()
    page.wait_for_selector("#history-list li:has-text('saved by_country')")
    journey.no_sideways_scroll()
    journey.shot("saved-and-history")

    # Rename, then delete, the saved query (the browser's prompt and confirm answered).
    page.once("dialog", lambda dialog: dialog.accept("countries"))
    page.get_by_role("button", name="Rename saved query by_country").click()
    page.get_by_role("button", name="Open saved query countries").wait_for()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete saved query countries").click()
    page.get_by_text("None yet: write a query and save it.").wait_for()


def test_runs_started_elsewhere_appear_without_a_click(
    journey: Journey, live_url: str, live_client: Any
) -> None:
    page = journey.page
    name = f"r{uuid.uuid4().hex[:8]}"
    doc = {"name": name, "tables": [{"name": "t", "target_rows": 500,
                                      "columns": [{"name": "id", "data_type": "INT"}]}]}  # fmt: skip
    assert live_client.post("/api/experiments", json=doc).status_code == 201
    page.goto(f"{live_url}/ui/")
    page.get_by_role("button", name=name, exact=True).click()
    page.get_by_role("tab", name="Runs").click()
    page.get_by_text("No runs yet.").wait_for()
    # The picked experiment is in view, also where the layout is one column.
    page.wait_for_timeout(300)
    top = page.locator("#detail").bounding_box()
    assert top is not None and 0 <= top["y"] < 300, top
    assert live_client.post(f"/api/experiments/{name}/generate", json={}).status_code == 202
    page.locator("#runs-body .status-completed").wait_for(timeout=60_000)
    assert page.locator("#runs-body tr").first.locator("td").nth(4).inner_text() == "500"
    journey.shot("cli-run-appeared")


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_api_docs_render_without_internet(journey: Journey, live_url: str, path: str) -> None:
    # Every request off the gateway is aborted and fails the test (the journey fixture).
    page = journey.page
    page.goto(f"{live_url}{path}")
    page.get_by_role("heading", name=re.compile("DW Simulator")).first.wait_for(timeout=30_000)
    page.get_by_text("/api/experiments/{name}/tables/{table}/profile").first.wait_for()
    page.wait_for_timeout(500)  # let late requests (images, fonts) happen
    journey.shot(path.strip("/"))
