"""A scripted fake gateway for `httpx.MockTransport`."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from dwsim_cli.main import main

Route = Callable[[httpx.Request], httpx.Response] | httpx.Response


class FakeGateway:
    """Answers by (method, path); records every request it saw."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], list[Route]] = {}
        self.requests: list[httpx.Request] = []

    def on(self, method: str, path: str, *answers: Route) -> None:
        """Queue answers for a route; the last one repeats once the others are used."""
        self.routes[(method, path)] = list(answers)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answers = self.routes.get((request.method, request.url.raw_path.decode()))
        if not answers:
            return httpx.Response(404, json={"error": "not_found", "message": "no route"})
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        return answer(request) if callable(answer) else answer

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)

    def body(self, index: int = -1) -> Any:
        return json.loads(self.requests[index].content)


class Result:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway()


def _bounded_sleep(limit: int = 1000) -> Callable[[float], None]:
    """A no-op sleep that fails the test instead of letting a broken wait loop spin."""
    calls = 0

    def sleep(seconds: float) -> None:
        nonlocal calls
        calls += 1
        if calls > limit:
            raise AssertionError(f"still polling after {limit} polls")

    return sleep


@pytest.fixture
def run_cli(gateway: FakeGateway) -> Callable[..., Result]:
    """Run `main` against the fake gateway with captured streams and no real sleeping."""

    def run(*argv: str, env: dict[str, str] | None = None, **context: Any) -> Result:
        out, err = io.StringIO(), io.StringIO()
        context.setdefault("sleep", _bounded_sleep())
        code = main(
            list(argv),
            env=env or {},
            transport=gateway.transport,
            out=out,
            err=err,
            **context,
        )
        return Result(code, out.getvalue(), err.getvalue())

    return run


def _make_run(status: str, **overrides: Any) -> dict[str, Any]:
    """A run body shaped like docs/api.md."""
    done = status == "COMPLETED"
    run: dict[str, Any] = {
        "run_id": 7,
        "experiment": "shop",
        "kind": "generate",
        "status": status,
        "seed": 42,
        "shard_size": 1000000,
        "warehouse": "sqlite",
        "created_at": "2024-05-01T10:00:00+00:00",
        "started_at": None if status == "QUEUED" else "2024-05-01T10:00:00+00:00",
        "finished_at": "2024-05-01T10:00:12.300000+00:00" if done else None,
        "error": None,
        "tables": {
            "customers": {
                "target_rows": 1000,
                "generated_rows": 1000 if done else 0,
                "loaded_rows": 1000 if done else 0,
                "shards": 1,
                "shards_loaded": 1 if done else 0,
                "shards_failed": 0,
            }
        },
        "totals": {
            "target_rows": 1000,
            "generated_rows": 1000 if done else 0,
            "loaded_rows": 1000 if done else 0,
        },
        "objects": "file:///tmp/experiments/shop/",
    }
    run.update(overrides)
    return run


@pytest.fixture
def make_run() -> Callable[..., dict[str, Any]]:
    """Factory of run bodies: `make_run("RUNNING", run_id=3)`."""
    return _make_run
