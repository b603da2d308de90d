"""`make screenshots` (tests/browser/shoot_tabs.py) still works: one screenshot of each tab of
an open experiment at 1440 and 390 px, taken without a page error or a failed request."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from .shoot_tabs import TABS, WIDTHS, make_experiment, shoot

pytestmark = pytest.mark.integration


def test_every_tab_is_shot_at_both_widths(
    browser: Any, live_url: str, live_client: Any, tmp_path: Path
) -> None:
    name = f"s{uuid.uuid4().hex[:8]}"
    make_experiment(live_client, name)
    written = shoot(browser, live_url, name, tmp_path)
    assert sorted(p.name for p in written) == sorted(f"{w}-{t}.png" for w in WIDTHS for t in TABS)
    for path in written:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5_000
