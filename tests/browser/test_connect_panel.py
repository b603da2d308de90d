"""The Connect tab in a real browser at a desktop and a phone width, on the distributed stack
(the Redshift mock and its endpoint): the details it shows connect (psycopg with the host, port,
database, user and revealed password read off the page runs `select 1`), the password is masked
until revealed, Rotate password gives a new one that connects while the old one stops, and an
experiment on SQLite says what to do instead."""

from __future__ import annotations

import contextlib
import time
import uuid
from typing import Any

import psycopg
import pytest

from tests.browser.test_journey import Journey, journey  # noqa: F401 (the fixture)
from tests.conftest import LiveStack, LiveStacks

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def redshift_live(live_stacks: LiveStacks) -> LiveStack:
    return live_stacks.get("distributed")


@pytest.fixture(scope="module")
def loaded(redshift_live: LiveStack) -> str:
    """An experiment on the Redshift mock with data (the endpoint serves those only)."""
    client = redshift_live.client
    name = f"c{uuid.uuid4().hex[:8]}"
    doc = {"name": name, "target_warehouse": "redshift",
           "tables": [{"name": "t", "target_rows": 20,
                       "columns": [{"name": "id", "data_type": "INT"}]}]}  # fmt: skip
    assert client.post("/api/experiments", json=doc).status_code == 201
    run = client.post(f"/api/experiments/{name}/generate", json={"shard_size": 20}).json()
    assert redshift_live.wait_run(name, run["run_id"])["status"] == "COMPLETED"
    return name


def _field(page: Any, key: str) -> str:
    return str(page.locator(f"#connect-fields code[data-field='{key}']").inner_text()).strip()


def _select_one(page: Any, password: str) -> Any:
    values = {key: _field(page, key) for key in ("host", "port", "database", "user", "sslmode")}
    with contextlib.closing(
        psycopg.connect(
            host=values["host"],
            port=int(values["port"]),
            dbname=values["database"],
            user=values["user"],
            password=password,
            sslmode=values["sslmode"],
            connect_timeout=10,
        )
    ) as conn:
        return conn.execute("select 1").fetchone()


def test_connect_panel_shows_details_that_connect(
    journey: Journey,  # noqa: F811
    redshift_live: LiveStack,
    loaded: str,
) -> None:
    page = journey.page
    page.goto(f"{redshift_live.url}/ui/")
    page.get_by_role("button", name=loaded, exact=True).click()
    page.get_by_role("tab", name="Connect", exact=True).click()
    fields = page.locator("#connect-fields")
    fields.wait_for()
    assert _field(page, "engine") == "redshift"
    assert _field(page, "database") == loaded and _field(page, "user") == loaded
    assert _field(page, "schema") == "public" and _field(page, "workspace_schema") == "workspace"
    assert _field(page, "object_store_prefix").endswith(f"/workspace/{loaded}/")
    masked = _field(page, "password")
    assert "•" in masked
    assert "•" in page.locator("#connect-psql").inner_text()  # masked in the psql line too
    assert "dwsim:" in page.locator("#connect-dbt").inner_text()
    journey.shot("connect")
    journey.no_sideways_scroll()

    page.get_by_role("button", name="Reveal").click()
    password = _field(page, "password")
    assert password != masked and "•" not in password
    assert page.locator("#connect-psql").inner_text().count(password) == 1
    copied = page.get_by_role("button", name="Copy Password").get_attribute("data-copy")
    assert copied == password
    assert _select_one(page, password) == (1,)  # what the panel shows is what connects
    assert f'password: "{password}"' in page.locator("#connect-dbt").inner_text()

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Rotate password").click()
    page.locator("#connect-status:has-text('New password')").wait_for()
    deadline = time.monotonic() + 10
    while _field(page, "password") == password and time.monotonic() < deadline:
        time.sleep(0.05)
    rotated = _field(page, "password")
    assert rotated != password and "•" not in rotated  # still revealed
    assert _select_one(page, rotated) == (1,)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        _select_one(page, password)
    journey.no_sideways_scroll()


def test_connect_panel_says_what_to_do_for_sqlite(
    journey: Journey,  # noqa: F811
    redshift_live: LiveStack,
) -> None:
    page = journey.page
    name = f"s{uuid.uuid4().hex[:8]}"
    doc = {"name": name, "target_warehouse": "sqlite",
           "tables": [{"name": "t", "target_rows": 5,
                       "columns": [{"name": "id", "data_type": "INT"}]}]}  # fmt: skip
    assert redshift_live.client.post("/api/experiments", json=doc).status_code == 201
    page.goto(f"{redshift_live.url}/ui/")
    page.get_by_role("button", name=name, exact=True).click()
    page.get_by_role("tab", name="Connect", exact=True).click()
    notice = page.locator("#connect-unavailable")
    notice.wait_for()
    assert "no wire endpoint" in notice.inner_text() and "/query" in notice.inner_text()
    assert page.get_by_role("button", name="Rotate password").is_hidden()
    assert page.locator("#connect-fields").count() == 0
    journey.no_sideways_scroll()


SNOWFLAKE_ANSWER = {
    "available": True, "engine": "snowflake", "host": "127.0.0.1", "port": 8085,
    "account": "dwsim", "protocol": "http", "user": "shop", "password": "s3cret-pw",
    "database": "SHOP", "schema": "PUBLIC", "workspace_schema": "WORKSPACE",
    "warehouse": "COMPUTE_WH", "role": "SHOP_ROLE", "login_timeout": 30,
    "url": "snowflake://shop:s3cret-pw@dwsim/SHOP/PUBLIC", "connector": {"insecure_mode": True},
    "dbt_profile": {"type": "snowflake", "account": "dwsim", "password": "s3cret-pw"},
}  # fmt: skip


def test_connect_panel_draws_the_keys_another_warehouse_answers(
    journey: Journey,  # noqa: F811
    redshift_live: LiveStack,
    loaded: str,
) -> None:
    """The panel's drawing of an answer with Snowflake's keys (account, protocol, warehouse,
    role, and keys it does not know): each is shown, the password masked everywhere."""
    page = journey.page
    page.goto(f"{redshift_live.url}/ui/")
    page.get_by_role("button", name=loaded, exact=True).click()
    page.get_by_role("tab", name="Connect", exact=True).click()
    page.locator("#connect-fields").wait_for()
    page.evaluate(
        "answer => import('./connect.js').then(m => m.showDetails('shop', answer))",
        SNOWFLAKE_ANSWER,
    )
    for key in ("account", "protocol", "warehouse", "role", "login_timeout", "database"):
        assert _field(page, key) == str(SNOWFLAKE_ANSWER[key]), key
    assert "s3cret-pw" not in page.locator("#connect-body").inner_text()
    assert '"insecure_mode": true' in page.locator("#connect-connector").inner_text()
    assert 'type: "snowflake"' in page.locator("#connect-dbt").inner_text()
    page.get_by_role("button", name="Reveal").click()
    assert _field(page, "password") == "s3cret-pw"
    journey.no_sideways_scroll()
