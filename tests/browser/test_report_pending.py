"""A run whose data is published while its validation report still runs: the run view says the
data is live and queryable (and it is: the worksheet's query answers), then shows the report's
verdict once the report is done. The report is held in flight by the stack's test-only switch
(`DWSIM_TEST_HOLD_S`, for `held_report_*` experiments), so the pending state is always seen."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import HOLD_S

pytestmark = pytest.mark.integration


def _pair(name: str) -> dict[str, Any]:
    return {"name": name, "seed": 3, "tables": [
        {"name": "customers", "target_rows": 200, "primary_key": ["id"], "columns": [
            {"name": "id", "data_type": "BIGINT"},
            {"name": "tier", "data_type": "VARCHAR", "varchar_length": 10,
             "choices": ["free", "pro"]}]},
        {"name": "orders", "target_rows": 500, "primary_key": ["id"], "columns": [
            {"name": "id", "data_type": "BIGINT"},
            {"name": "customer_id", "data_type": "BIGINT",
             "foreign_key": {"references_table": "customers", "references_column": "id"}}]},
    ]}  # fmt: skip


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    page.route(
        re.compile(r"^(?!http://127\.0\.0\.1:)"),
        lambda route: (errors.append(f"external request: {route.request.url}"), route.abort()),
    )
    yield page
    context.close()
    assert not errors, "\n".join(errors)


def test_the_run_view_says_the_data_is_live_while_the_report_runs(
    page: Any, live_url: str, live_client: Any
) -> None:
    name = f"held_report_{uuid.uuid4().hex[:8]}"
    assert live_client.post("/api/experiments", json=_pair(name)).status_code == 201
    page.goto(f"{live_url}/ui/")
    page.get_by_role("button", name=name, exact=True).click()
    page.get_by_role("tab", name="Data").click()
    page.click("#generate-submit")

    pending = page.locator("#run-report .report-pending")
    pending.wait_for(timeout=60_000)  # published; the report is held for HOLD_S after that
    text = pending.inner_text()
    assert "live and queryable" in text and "validation report is running" in text, text
    run = live_client.get(f"/api/experiments/{name}/runs").json()["runs"][0]
    detail = live_client.get(f"/api/experiments/{name}/runs/{run['run_id']}").json()
    assert detail["status"] == "RUNNING" and detail["published_at"], detail
    assert detail["report"] == {"state": "pending"} and detail["live"], detail
    assert page.locator("#progress-title .badge").inner_text() == "RUNNING"
    # Queryable now, as the panel says: the published rows answer a query.
    answer = live_client.post(
        f"/api/experiments/{name}/query", json={"sql": "SELECT COUNT(*) FROM orders"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["rows"] == [[500]]

    # Then the verdict replaces the note, and the run is final.
    page.locator("#run-report", has_text="Validation report:").wait_for(
        timeout=int((HOLD_S + 60) * 1000)
    )
    assert pending.count() == 0
    page.locator("#progress-title .status-completed").wait_for()
    assert "checks passed" in page.locator("#run-report").inner_text()
