"""`dw-sim experiment reset|load` and `dw-sim runs retry` against a fake gateway."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

from dwsim_cli.run_commands import confirm

if TYPE_CHECKING:
    from .conftest import FakeGateway, Result

RunCli = Callable[..., "Result"]
MakeRun = Callable[..., dict[str, Any]]
NOW = datetime(2024, 5, 1, 10, 0, 30, tzinfo=UTC)


def test_reset_asks_first_and_yes_skips_the_question(gateway: FakeGateway, run_cli: RunCli) -> None:
    answer = {"experiment": "shop", "live_run_id": 3, "tables_emptied": ["customers", "orders"]}
    gateway.on("POST", "/api/experiments/shop/reset", httpx.Response(200, json=answer))
    refused = run_cli("experiment", "reset", "shop")  # stdin is not a terminal: no consent
    assert refused.code == 1 and "not confirmed" in refused.err
    assert gateway.requests == []
    done = run_cli("experiment", "reset", "shop", "--yes")
    assert done.code == 0
    assert done.out == "emptied 2 tables of shop: customers, orders\n"
    assert [r.url.path for r in gateway.requests] == ["/api/experiments/shop/reset"]


def test_confirm_accepts_only_yes() -> None:
    assert confirm("?", ask=lambda _: "y\n") and confirm("?", ask=lambda _: "YES")
    assert not confirm("?", ask=lambda _: "") and not confirm("?", ask=lambda _: "no")


def test_load_sends_the_run_and_waits(
    gateway: FakeGateway, run_cli: RunCli, make_run: MakeRun
) -> None:
    accepted = {"run_id": 9, "experiment": "shop", "kind": "load", "source_run_id": 4,
                "status": "QUEUED", "links": {}}  # fmt: skip
    gateway.on("POST", "/api/experiments/shop/load", httpx.Response(202, json=accepted))
    gateway.on(
        "GET", "/api/experiments/shop/runs/9",
        httpx.Response(200, json={**make_run("COMPLETED"), "run_id": 9}),
    )  # fmt: skip
    result = run_cli(
        "experiment", "load", "shop", "--run", "4", "--wait", sleep=lambda _: None, now=lambda: NOW
    )
    assert result.code == 0, result.err
    assert json.loads(gateway.requests[0].content) == {"run_id": 4}
    gateway.requests.clear()
    result = run_cli("experiment", "load", "shop")
    assert json.loads(gateway.requests[0].content) == {}  # the latest completed generate run
    assert "run 9 of shop: QUEUED" in result.out


def test_retry_posts_to_the_run(gateway: FakeGateway, run_cli: RunCli) -> None:
    accepted = {"run_id": 5, "experiment": "shop", "status": "RUNNING", "shards_retried": 2}
    gateway.on("POST", "/api/experiments/shop/runs/5/retry", httpx.Response(202, json=accepted))
    result = run_cli("runs", "retry", "shop", "5")
    assert result.code == 0
    assert "run 5 of shop: RUNNING" in result.out
    conflict = {
        "error": "conflict",
        "message": "run 5 is COMPLETED; only a FAILED run can be retried",
    }
    gateway.on("POST", "/api/experiments/shop/runs/5/retry", httpx.Response(409, json=conflict))
    refused = run_cli("runs", "retry", "shop", "5")
    assert refused.code == 1 and "only a FAILED run can be retried" in refused.err


def test_delete_prints_the_warehouse_warning(gateway: FakeGateway, run_cli: RunCli) -> None:
    answer = {
        "deleted": "shop",
        "warnings": ["the data of 'shop' in the redshift warehouse was not dropped: down"],
    }
    gateway.on("DELETE", "/api/experiments/shop", httpx.Response(200, json=answer))
    result = run_cli("experiment", "delete", "shop")
    assert result.code == 0 and "deleted experiment shop" in result.out
    assert "warning: the data of 'shop' in the redshift warehouse was not dropped" in result.err


def test_workspace_flags_ask_for_the_workspace_too(gateway: FakeGateway, run_cli: RunCli) -> None:
    answer = {"experiment": "shop", "live_run_id": 3, "tables_emptied": ["orders"],
              "workspace_cleared": True}  # fmt: skip
    gateway.on("POST", "/api/experiments/shop/reset", httpx.Response(200, json=answer))
    accepted = {"run_id": 9, "experiment": "shop", "kind": "load", "source_run_id": 4,
                "status": "QUEUED", "links": {}}  # fmt: skip
    gateway.on("POST", "/api/experiments/shop/load", httpx.Response(202, json=accepted))
    done = run_cli("experiment", "reset", "shop", "--yes", "--workspace")
    assert done.code == 0
    assert json.loads(gateway.requests[0].content) == {"workspace": True}
    assert "dropped everything in the workspace of shop" in done.out
    run_cli("experiment", "load", "shop", "--workspace")
    assert json.loads(gateway.requests[1].content) == {"workspace": True}
