"""Rules edited in the grid, and the Sample, in a real browser at 1440 and 390 px: a Faker rule
typed wrong is marked beside its field by the API's own check, fixed from the catalogue's
search, saved; choices with weights edited and sampled before saving; the Sample's rows are the
API's (a run's first rows); no page errors, no failed requests, no sideways scroll."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from .test_journey import Journey

pytestmark = pytest.mark.integration


def _shop(name: str) -> dict[str, Any]:
    return {"name": name, "seed": 5, "tables": [
        {"name": "customers", "target_rows": 300, "primary_key": ["id"], "columns": [
            {"name": "id", "data_type": "BIGINT"},
            {"name": "first_name", "data_type": "VARCHAR", "varchar_length": 40,
             "faker_rule": "first_name"},
            {"name": "tier", "data_type": "VARCHAR", "varchar_length": 10,
             "choices": ["free", "pro"]},
            {"name": "score", "data_type": "FLOAT", "min_value": 0, "max_value": 100,
             "distribution": {"type": "normal", "parameters": {"mean": 50, "stddev": 10}}}]},
        {"name": "orders", "target_rows": 600, "primary_key": ["id"], "columns": [
            {"name": "id", "data_type": "BIGINT"},
            {"name": "customer_id", "data_type": "BIGINT",
             "foreign_key": {"references_table": "customers", "references_column": "id"}},
            {"name": "ordered_at", "data_type": "TIMESTAMP", "date_start": "2024-01-01",
             "date_end": "2024-12-31"}]},
    ]}  # fmt: skip


@pytest.fixture(params=[1440, 390], ids=["1440px", "390px"])
def strict(request: pytest.FixtureRequest, browser: Any) -> Iterator[Journey]:
    """A page where any page error, console error, failed request or 4xx/5xx answer fails."""
    width: int = request.param
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("requestfailed", lambda r: errors.append(f"failed: {r.url} {r.failure}"))
    page.on(
        "response", lambda r: errors.append(f"{r.status}: {r.url}") if r.status >= 400 else None
    )
    page.route(
        re.compile(r"^(?!http://127\.0\.0\.1:)"),
        lambda route: (errors.append(f"external request: {route.request.url}"), route.abort()),
    )
    yield Journey(page, width)
    context.close()
    assert not errors, "\n".join(errors)


def _sample_column(page: Any, table: str, column: str) -> list[str]:
    return list(
        page.evaluate(
            """([table, column]) => {
              const section = document.querySelector(`#sample-tables [aria-label="Sample of ${table}"]`);
              const names = [...section.querySelectorAll('thead th')].map((th) => th.textContent);
              const at = names.indexOf(column);
              return [...section.querySelectorAll('tbody tr')].map((tr) => tr.children[at].textContent);
            }""",
            [table, column],
        )
    )


def test_edit_a_rule_inline_then_sample(strict: Journey, live_url: str, live_client: Any) -> None:
    page = strict.page
    name = f"r{uuid.uuid4().hex[:8]}"
    assert live_client.post("/api/experiments", json=_shop(name)).status_code == 201
    page.goto(f"{live_url}/ui/")
    page.get_by_role("button", name=name, exact=True).click()
    page.get_by_role("tab", name="Data").click()

    # A Faker method typed wrong: the API's check, beside the field, as the user types.
    page.get_by_role("button", name="Edit rule of customers.first_name").click()
    editor = page.get_by_role("group", name="Rule of first_name")
    faker = editor.get_by_label("Faker method", exact=True)
    assert faker.input_value() == "first_name"
    faker.fill("frist_name")
    problem = editor.locator("#rule-faker_rule-problem")
    problem.filter(has_text="did you mean").wait_for()
    assert "'frist_name' is not a Faker provider method" in problem.inner_text()
    assert faker.get_attribute("aria-invalid") == "true"
    assert editor.get_by_role("button", name="Save rule").is_disabled()
    strict.no_sideways_scroll()
    strict.shot("rule-error")
    # Fixed from the catalogue's search: the list narrows as one types; a click picks.
    faker.fill("last_n")
    editor.get_by_role("option", name="last_name", exact=True).click()
    editor.get_by_text("valid", exact=True).wait_for()
    assert faker.get_attribute("aria-invalid") is None
    editor.get_by_role("button", name="Save rule").click()
    page.get_by_text("Saved the rule of customers.first_name.").wait_for()
    stored = live_client.get(f"/api/experiments/{name}").json()
    assert stored["tables"][0]["columns"][1]["faker_rule"] == "last_name"
    # The grid re-renders after the save message: wait for it (a busy machine is slower).
    expect(page.locator("#gen-tables")).to_contain_text("faker last_name")

    # Choices with weights, a null %, then the Sample of the unsaved edit.
    page.get_by_role("button", name="Edit rule of customers.tier").click()
    editor = page.get_by_role("group", name="Rule of tier")
    choices = editor.get_by_label("Choices (value or value = weight, one a line)")
    choices.fill("gold = 3\nsilver")  # a weight missing: the API names weights[1]
    editor.locator("#rule-choices-problem").filter(has_text="weights").wait_for()
    choices.fill("gold = 3\nsilver = 1")
    editor.get_by_label("Null %", exact=True).fill("20")
    editor.get_by_text("valid", exact=True).wait_for()
    editor.get_by_role("button", name="Sample").click()
    page.locator("#sample-status").filter(has_text="with the unsaved rule").wait_for()
    tiers = _sample_column(page, "customers", "tier")
    assert len(tiers) == 10 and set(tiers) <= {"gold", "silver", "NULL"}
    # The rows on screen are the API's sample for that seed (a run's first rows, tests/
    # test_sample_e2e.py), and the seed is put in the Generate form.
    seed = page.locator("#gen-seed").input_value()
    assert seed == "5"
    draft = live_client.get(f"/api/experiments/{name}").json()
    draft["tables"][0]["columns"][2].update(
        choices=["gold", "silver"], weights=[3, 1], required=False, null_rate=0.2, is_unique=False
    )
    api = live_client.post(f"/api/experiments/{name}/sample", json={"seed": seed,
                           "rows": {"customers": 300, "orders": 600}, "experiment": draft})  # fmt: skip
    api_tiers = [r[2] if r[2] is not None else "NULL" for r in api.json()["tables"][0]["rows"]]
    assert tiers == api_tiers
    strict.no_sideways_scroll()
    strict.shot("sample")

    # A distribution's parameters, range and law are fields too; Cancel leaves the document.
    page.get_by_role("button", name="Edit rule of customers.score").click()
    editor = page.get_by_role("group", name="Rule of score")
    assert editor.get_by_label("Distribution", exact=True).input_value() == "normal"
    assert editor.get_by_label("mean", exact=True).input_value() == "50"
    editor.get_by_label("stddev", exact=True).fill("wide")
    editor.locator(".rule-problems").filter(has_text="parameters.stddev").wait_for()
    editor.get_by_role("button", name="Cancel").click()
    assert live_client.get(f"/api/experiments/{name}").json()["tables"][0]["columns"][2][
        "choices"
    ] == ["free", "pro"]

    # The Sample button of the Data tab samples the saved document.
    page.click("#sample-run")
    page.locator("#sample-status").filter(has_text="Seed 5, shard size").wait_for()
    assert set(_sample_column(page, "customers", "tier")) <= {"free", "pro"}
    assert len(_sample_column(page, "orders", "ordered_at")) == 10
    strict.no_sideways_scroll()
