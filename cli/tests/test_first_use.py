"""What a new user hit in the CLI (issue 18): a mistyped command, --url at another service,
an export that said nothing, early ETAs, timestamps with microseconds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from cli.tests.conftest import FakeGateway, Result
from dwsim_cli import render
from dwsim_cli.main import main


def test_a_mistyped_command_gets_a_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["runz", "list", "dw"], env={})
    assert exit_.value.code == 2
    assert "did you mean 'runs'?" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["runs", "reprot", "dw", "1"], env={})
    assert "did you mean 'report'?" in capsys.readouterr().err


def test_url_at_another_service_says_so(
    gateway: FakeGateway, run_cli: Callable[..., Result]
) -> None:
    gateway.on("GET", "/api/experiments", httpx.Response(404, json={"detail": "Not Found"}))
    result = run_cli("experiment", "list")
    assert result.code == 1
    assert "is not a DW Simulator API address" in result.err and "--url" in result.err
    assert '{"detail"' not in result.err


def test_export_to_a_file_says_where_and_how_much(
    gateway: FakeGateway, run_cli: Callable[..., Result], tmp_path: Path
) -> None:
    gateway.on("POST", "/api/experiments/dw/query", httpx.Response(200, content=b"a\n1\n2\n"))
    target = tmp_path / "out.csv"
    result = run_cli("query", "export", "dw", "SELECT 1", "-o", str(target))
    assert result.code == 0 and target.read_bytes() == b"a\n1\n2\n"
    assert result.err.strip() == f"wrote {target} (6 bytes)"
    assert result.out == ""


def _run(loaded: int, target: int) -> dict[str, Any]:
    return {"run_id": 1, "experiment": "dw", "status": "RUNNING",
            "started_at": "2024-05-01T10:00:00+00:00", "finished_at": None,
            "totals": {"target_rows": target, "generated_rows": loaded, "loaded_rows": loaded}}  # fmt: skip


def test_no_eta_from_the_first_few_loaded_rows() -> None:
    from datetime import UTC, datetime

    now = datetime(2024, 5, 1, 10, 0, 5, tzinfo=UTC)
    assert render.run_rate(_run(2_000, 1_000_000), now)[1] is None
    assert "ETA" not in render.run_status_line(_run(2_000, 1_000_000), now)
    rate, eta = render.run_rate(_run(500_000, 1_000_000), now)
    assert rate == 100_000 and eta == 5


def test_timestamps_are_shown_to_the_second() -> None:
    assert render.timestamp("2026-12-06T11:20:03.123456+00:00") == "2026-12-06 11:20:03"
    assert render.timestamp(None) == "-"
