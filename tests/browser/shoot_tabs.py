"""Screenshots of each tab of an open experiment at 1440 and 390 px, for docs/ui.md.

`make screenshots` runs this file: it starts the embedded stack, makes the shop experiment with
a run, drives Debian's chromium (Playwright) through Worksheet, Data, Runs, Schema, Settings and
Lineage, and writes `docs/screenshots/<width>-<tab>.png`. `test_screenshots.py` runs the same
`shoot()` against the browser tests' stack, so the script cannot rot.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
WIDTHS = {1440: 900, 390: 844}
TABS = ("worksheet", "data", "runs", "schema", "settings", "lineage")
SQL = "SELECT tier, COUNT(*) AS customers\nFROM customers\nGROUP BY tier\nORDER BY customers DESC"


def make_experiment(client: httpx.Client, name: str) -> None:
    """The README's shop, small: three related tables and one completed run (seed 42)."""
    document = json.loads((ROOT / "docs/examples/shop.json").read_text())
    document["name"] = name
    for table, rows in zip(document["tables"], (2_000, 5_000, 12_000), strict=False):
        table["target_rows"] = rows
    answer = client.post("/api/experiments", json=document)
    answer.raise_for_status()
    run = client.post(f"/api/experiments/{name}/generate", json={"seed": "42"})
    run.raise_for_status()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        status = client.get(f"/api/experiments/{name}/runs/1").json()["status"]
        if status.startswith("COMPLETED"):
            return
        if status in ("FAILED", "ABORTED"):
            raise RuntimeError(f"the screenshot run ended {status}")
        time.sleep(0.3)
    raise RuntimeError("the screenshot run did not finish in 300 s")


def _show(page: Any, tab: str) -> None:
    page.get_by_role("tab", name=tab.capitalize(), exact=True).click()


def _worksheet(page: Any) -> None:
    page.get_by_role("button", name="Insert table customers").wait_for()
    page.locator("#query-editor .cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(SQL)
    page.click("#query-run")
    page.locator("#query-meta").filter(has_text="rows").wait_for()
    page.click("#chart-draw")
    page.locator("#chart-status").filter(has_text="chart of").wait_for()


def _data(page: Any) -> None:
    page.get_by_role("button", name="Edit rule of customers.tier").click()
    page.get_by_role("group", name="Rule of tier").get_by_text("valid", exact=True).wait_for()
    page.click("#sample-run")
    page.locator("#sample-status").filter(has_text="Seed").wait_for()


def _runs(page: Any) -> None:
    page.get_by_role("button", name="Show progress and shards of run 1").click()
    page.locator("#run-view").wait_for()


def _schema(page: Any) -> None:
    page.click("#ddl-show")
    page.locator("#ddl").wait_for()


def _lineage(page: Any) -> None:
    page.locator("#panel-lineage svg").first.wait_for()


STEPS = {"worksheet": _worksheet, "data": _data, "runs": _runs, "schema": _schema,
         "lineage": _lineage}  # fmt: skip


def shoot(browser: Any, url: str, experiment: str, out: Path) -> list[Path]:
    """One PNG per tab and width in `out`; raises on a page error or a failed request."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for width, height in WIDTHS.items():
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
        page.on("requestfailed", lambda r, errors=errors: errors.append(f"failed: {r.url}"))
        page.goto(f"{url}/ui/")
        page.get_by_role("button", name=experiment, exact=True).click()
        for tab in TABS:
            _show(page, tab)
            if tab in STEPS:
                STEPS[tab](page)
            page.wait_for_timeout(150)  # the last layout settles (fonts, the chart's canvas)
            path = out / f"{width}-{tab}.png"
            page.locator("#detail").screenshot(path=str(path))
            written.append(path)
        context.close()
        if errors:
            raise RuntimeError("\n".join(errors))
    return written


def main(out: Path) -> None:
    from playwright.sync_api import sync_playwright

    from dwsim_shared.devstack import Stack
    from tests.browser.conftest import CHROMIUM_ARGS, chromium_path

    path = chromium_path()
    if path is None:
        raise SystemExit("no chromium: apt-get install -y chromium, or set DWSIM_CHROMIUM")
    with tempfile.TemporaryDirectory(prefix="dwsim-shots-") as home:
        stack = Stack(env={"DWSIM_HOME": home}, generator_workers=1, loader_workers=1)
        stack.start()
        try:
            with httpx.Client(base_url=stack.url, timeout=60) as client:
                make_experiment(client, "shop")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
                for written in shoot(browser, stack.url, "shop", out):
                    print(written.relative_to(ROOT) if written.is_relative_to(ROOT) else written)
                browser.close()
        finally:
            stack.stop()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")
