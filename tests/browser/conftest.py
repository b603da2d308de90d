"""A real browser for the UI journey: Debian's `chromium` driven by Playwright for Python.

Browsers are never downloaded: the tests use the system's chromium (`DWSIM_CHROMIUM`, else
/usr/bin/chromium). `.ci/run` installs it, so CI always runs these; without it they are skipped
with the command that enables them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from dwsim_shared.devstack import Stack

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--metrics-recording-only",
]
HOLD_S = 8.0
ENABLE = "install it with `apt-get install -y chromium` (as .ci/run does) or set DWSIM_CHROMIUM"


def chromium_path() -> str | None:
    """The browser to drive: `DWSIM_CHROMIUM` when set (a path that is not there means none),
    else /usr/bin/chromium or `chromium` on the PATH."""
    chosen = os.environ.get("DWSIM_CHROMIUM")
    if chosen is not None:
        return chosen if Path(chosen).is_file() and os.access(chosen, os.X_OK) else None
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        pytest.skip(f"browser tests skipped: no chromium found; {ENABLE}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def live_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The embedded stack (SQLite everywhere, file broker) as real processes, one for every
    browser module (they run as one xdist unit; each names its experiments uniquely)."""
    if chromium_path() is None:
        pytest.skip(f"browser tests skipped: no chromium found; {ENABLE}")
    home = tmp_path_factory.mktemp("browser-stack")
    # The test-only hold (Settings.test_hold_s) for experiments named `held_*` only: a
    # `held_report_*` run's report starts HOLD_S after its data is published.
    env = {
        "DWSIM_HOME": str(home),
        "DWSIM_TEST_HOLD_S": str(HOLD_S),
        "DWSIM_TEST_HOLD_PREFIX": "held_",
    }
    stack = Stack(env=env, generator_workers=1, loader_workers=1)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def live_url(live_stack: Stack) -> str:
    return live_stack.url


@pytest.fixture(scope="session")
def live_client(live_stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_stack.url, timeout=60) as client:
        yield client
