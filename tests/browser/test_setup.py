"""Which browser the journey uses, and the skip that says how to get one."""

from __future__ import annotations

import pytest

from tests.browser.conftest import ENABLE, chromium_path


def test_a_missing_chromium_means_a_skip_that_says_how_to_enable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DWSIM_CHROMIUM", "/nonexistent/chromium")
    assert chromium_path() is None
    assert "apt-get install -y chromium" in ENABLE


def test_dwsim_chromium_names_the_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DWSIM_CHROMIUM", "/bin/sh")
    assert chromium_path() == "/bin/sh"
