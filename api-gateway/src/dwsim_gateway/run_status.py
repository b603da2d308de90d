"""Run status for polling: one cached view per run, so any number of pollers cost the state
database at most one refresh per run every `FRESH_S` seconds and never starve the workers'
own updates. Final runs expire like the others: several gateway processes, or a run id reused
after its experiment was deleted, never see a view older than `FRESH_S`."""

from __future__ import annotations

import hmac
import json
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Receive, Scope, Send

from dwsim_shared.errors import NotFound
from dwsim_shared.runtime import Runtime
from dwsim_shared.state.models import ExperimentRow, RunRow

FRESH_S = 0.5  # how stale a poll may be
MAX_ENTRIES = 1_024

ViewBuilder = Callable[[Session, Runtime, RunRow, str], dict[str, Any]]
Key = tuple[str, int]


class RunStatusCache:
    def __init__(self, fresh_s: float = FRESH_S, max_entries: int = MAX_ENTRIES) -> None:
        self.fresh_s = fresh_s
        self.max_entries = max_entries
        self._views: OrderedDict[Key, tuple[float, dict[str, Any], bytes]] = OrderedDict()
        self._refreshing: dict[Key, threading.Lock] = {}
        self._lock = threading.Lock()

    async def response(self, rt: Runtime, name: str, run_id: int, build: ViewBuilder) -> Response:
        """The run's view as JSON: from the cache in the event loop when it is fresh (the
        common case under polling), else refreshed in a worker thread."""
        body = self.fresh(name, run_id)
        if body is None:
            body = (await run_in_threadpool(self._entry, rt, name, run_id, build))[2]
        return Response(content=body, media_type="application/json")

    def view(self, rt: Runtime, name: str, run_id: int, build: ViewBuilder) -> dict[str, Any]:
        return self._entry(rt, name, run_id, build)[1]

    def fresh(self, name: str, run_id: int) -> bytes | None:
        with self._lock:
            cached = self._views.get((name, run_id))
            if cached is not None and cached[0] > time.monotonic():
                return cached[2]
        return None

    def _entry(
        self, rt: Runtime, name: str, run_id: int, build: ViewBuilder
    ) -> tuple[float, dict[str, Any], bytes]:
        key = (name, run_id)
        with self._lock:
            cached = self._views.get(key)
            if cached is not None and cached[0] > time.monotonic():
                self._views.move_to_end(key)
                return cached
            refresh = self._refreshing.setdefault(key, threading.Lock())
        # One caller refreshes; the others answer the previous view meanwhile, or wait for it.
        if not refresh.acquire(blocking=cached is None):
            assert cached is not None
            return cached
        try:
            with self._lock:
                again = self._views.get(key)
            if again is not None and again is not cached and again[0] > time.monotonic():
                return again
            view = _load(rt, name, run_id, build)
            entry = (time.monotonic() + self.fresh_s, view, json.dumps(view).encode())
            with self._lock:
                self._views[key] = entry
                self._views.move_to_end(key)
                while len(self._views) > self.max_entries:
                    self._views.popitem(last=False)
            return entry
        finally:
            refresh.release()
            with self._lock:
                self._refreshing.pop(key, None)

    def forget(self, name: str, run_id: int) -> None:
        """Drop a run's view after this process changed the run (cancel)."""
        with self._lock:
            self._views.pop((name, run_id), None)


def _load(rt: Runtime, name: str, run_id: int, build: ViewBuilder) -> dict[str, Any]:
    with rt.session() as session:
        run = session.scalars(
            select(RunRow)
            .join(ExperimentRow, ExperimentRow.id == RunRow.experiment_id)
            .where(RunRow.id == run_id, ExperimentRow.name == name)
        ).first()
        if run is None:
            exists = session.scalar(select(ExperimentRow.id).where(ExperimentRow.name == name))
            if exists is None:
                raise NotFound(f"experiment {name!r} does not exist", experiment=name)
            raise NotFound(f"experiment {name!r} has no run {run_id}", run_id=run_id)
        return build(session, rt, run, name)


_RUN_PATH = re.compile(r"/api/experiments/([a-z][a-z0-9_]{0,62})/runs/([1-9][0-9]{0,9})")


class CachedRunStatus:
    """ASGI middleware: a poll whose run view is fresh in the cache is answered here, before
    routing, validation and dependencies (most of a request's cost); anything else, including
    a wrong or missing token, goes on to the application, which answers it in full."""

    def __init__(self, app: ASGIApp, cache: RunStatusCache, token: str | None) -> None:
        self.app = app
        self.cache = cache
        self.expected = f"Bearer {token}".encode() if token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            match = _RUN_PATH.fullmatch(scope["path"])
            body = self.cache.fresh(match[1], int(match[2])) if match else None
            if body is not None and self._authorized(scope):
                headers = [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ]
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    def _authorized(self, scope: Scope) -> bool:
        if self.expected is None:
            return True
        given = next((v for k, v in scope.get("headers") or [] if k == b"authorization"), b"")
        return hmac.compare_digest(given, self.expected)
