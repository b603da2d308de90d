"""Run status for polling: one cached view per run, so any number of pollers cost the state
database at most one refresh per run every `FRESH_S` seconds and never starve the workers'
own updates. A view past `FRESH_S` is still served (for up to `STALE_S` more) while one
background thread refreshes it, so no poll waits on the database. Final runs expire like the
others: several gateway processes, or a run id reused after its experiment was deleted, never
see a view older than that."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from dwsim_shared.errors import NotFound
from dwsim_shared.http_edge import ExperimentNameText, RunNumber, bearer_matches
from dwsim_shared.runs.queries import run_by_number
from dwsim_shared.runtime import Runtime
from dwsim_shared.state.lookup import experiment_by_name
from dwsim_shared.state.models import RunRow

FRESH_S = 0.5  # a poll is answered from a view at most this old...
STALE_S = 2.0  # ...or, while that view is being refreshed, at most this much older
MAX_ENTRIES = 1_024

log = logging.getLogger(__name__)
ViewBuilder = Callable[[Session, Runtime, RunRow, str], dict[str, Any]]
Key = tuple[str, int]
Entry = tuple[float, dict[str, Any], bytes]  # (fetched at, view, view as JSON)


class RunStatusCache:
    def __init__(self, fresh_s: float = FRESH_S, max_entries: int = MAX_ENTRIES) -> None:
        self.fresh_s = fresh_s
        self.max_entries = max_entries
        self.build: ViewBuilder | None = None
        self._views: OrderedDict[Key, Entry] = OrderedDict()
        self._refreshing: dict[Key, threading.Lock] = {}
        self._lock = threading.Lock()

    async def response(self, rt: Runtime, name: str, run_id: int, build: ViewBuilder) -> Response:
        """The run's view as JSON, refreshed in a worker thread when it is not fresh."""
        body, stale = self.lookup(name, run_id)
        if body is None or stale:
            body = (await run_in_threadpool(self._entry, rt, name, run_id, build))[2]
        return Response(content=body, media_type="application/json")

    def view(self, rt: Runtime, name: str, run_id: int, build: ViewBuilder) -> dict[str, Any]:
        return self._entry(rt, name, run_id, build)[1]

    def lookup(self, name: str, run_id: int) -> tuple[bytes | None, bool]:
        """The cached JSON if it may still be served, and whether it is due for a refresh."""
        with self._lock:
            cached = self._views.get((name, run_id))
        if cached is None:
            return None, False
        age = time.monotonic() - cached[0]
        if age < self.fresh_s:
            return cached[2], False
        return (cached[2], True) if age < self.fresh_s + STALE_S else (None, False)

    def refresh_quietly(self, rt: Runtime, name: str, run_id: int) -> None:
        """Refresh a served-stale view in the background, unless another thread already is;
        a failure only leaves the view to age out (a full request then reports it)."""
        refresh = self._refresh_lock((name, run_id))
        if self.build is None or not refresh.acquire(blocking=False):
            return
        try:
            self._store((name, run_id), _load(rt, name, run_id, self.build))
        except NotFound:
            self.forget(name, run_id)
        except Exception as error:
            log.debug("refreshing run %s of %s failed: %s", run_id, name, error)
        finally:
            refresh.release()

    def forget(self, name: str, run_id: int | None) -> None:
        """Drop a run's view after this process changed the run (cancel)."""
        if run_id is None:
            return
        with self._lock:
            self._views.pop((name, run_id), None)

    def _refresh_lock(self, key: Key) -> threading.Lock:
        with self._lock:
            return self._refreshing.setdefault(key, threading.Lock())

    def _entry(self, rt: Runtime, name: str, run_id: int, build: ViewBuilder) -> Entry:
        self.build = build
        key = (name, run_id)
        body, stale = self.lookup(name, run_id)
        with self._lock:
            cached = self._views.get(key)
        if cached is not None and body is not None and not stale:
            return cached
        refresh = self._refresh_lock(key)
        # One caller refreshes; the others answer the previous view meanwhile, or wait for it.
        if not refresh.acquire(blocking=body is None):
            if cached is not None:
                return cached
            refresh.acquire()
        try:
            with self._lock:
                current = self._views.get(key)
            if current is not None and time.monotonic() - current[0] < self.fresh_s:
                return current  # refreshed by the caller we waited for
            return self._store(key, _load(rt, name, run_id, build))
        finally:
            refresh.release()

    def _store(self, key: Key, view: dict[str, Any]) -> Entry:
        entry = (time.monotonic(), view, json.dumps(view).encode())
        with self._lock:
            self._views[key] = entry
            self._views.move_to_end(key)
            while len(self._views) > self.max_entries:
                evicted, _ = self._views.popitem(last=False)
                self._refreshing.pop(evicted, None)
        return entry


def _load(rt: Runtime, name: str, run_id: int, build: ViewBuilder) -> dict[str, Any]:
    with rt.session() as session:
        run = run_by_number(session, experiment_by_name(session, name), run_id)
        return build(session, rt, run, name)


_NAME = TypeAdapter(ExperimentNameText)
_NUMBER = TypeAdapter(RunNumber)


class CachedRunStatus:
    """ASGI middleware: a poll whose run view is fresh in the cache is answered here, before
    routing, validation and dependencies (most of a request's cost); anything else, including
    a wrong or missing token, goes on to the application, which answers it in full.

    `route` is the application's own route of a run's status, which matches the path (the same
    path parameters and the same id types as the route, never a second parser)."""

    def __init__(self, app: ASGIApp, cache: RunStatusCache, token: str | None, route: str) -> None:
        self.app = app
        self.cache = cache
        self.token = token
        self.route = route

    def _key(self, scope: Scope) -> tuple[str, int] | None:
        route = next(
            (r for r in scope["app"].router.routes if getattr(r, "path", None) == self.route), None
        )
        if route is None:
            return None
        match, child = route.matches(scope)
        if match != Match.FULL:
            return None
        params = child["path_params"]
        try:
            return _NAME.validate_python(params["name"]), _NUMBER.validate_python(params["run_id"])
        except ValidationError:
            return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            key = self._key(scope)
            body, stale = self.cache.lookup(*key) if key else (None, False)
            if body is not None and self._authorized(scope):
                if stale and key:  # answer now; one background thread fetches the next view
                    rt = scope["app"].state.runtime
                    asyncio.get_running_loop().run_in_executor(
                        None, self.cache.refresh_quietly, rt, *key
                    )
                headers = [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ]
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    def _authorized(self, scope: Scope) -> bool:
        given = next((v for k, v in scope.get("headers") or [] if k == b"authorization"), b"")
        return bearer_matches(given, self.token)
