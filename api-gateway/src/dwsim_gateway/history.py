"""Query history: each query run through the gateway, newest 200 kept per experiment.

A line is written after the answer is known, on one background thread per gateway process
(`HistoryWriter`), so a full state pool can never throw a finished answer away: at worst the
history line is lost, with a log entry.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from sqlalchemy import delete, select

from dwsim_shared.errors import error_text
from dwsim_shared.runtime import Runtime
from dwsim_shared.state.models import QueryHistoryRow

log = logging.getLogger(__name__)

HISTORY_KEPT = 200
# Lines waiting to be written; beyond this the state DB is far behind and lines are dropped.
MAX_PENDING = 1000


def record(
    rt: Runtime,
    experiment_id: int,
    sql: str,
    *,
    started: float,
    fmt: str = "json",
    status_code: int,
    body: Any = None,
    saved_query: str | None = None,
    finished: float | None = None,
) -> None:
    """Store one query's outcome in its own transaction (the caller's may roll back)."""
    ok = status_code < 400
    error = None
    if not ok:
        error = body.get("message") if isinstance(body, dict) else f"HTTP {status_code}"
    row_count = body.get("row_count") if ok and isinstance(body, dict) else None
    with rt.session() as session:
        session.add(
            QueryHistoryRow(
                experiment_id=experiment_id,
                sql_text=sql,
                saved_query=saved_query,
                format=fmt,
                status="ok" if ok else "error",
                error=error,
                row_count=row_count,
                duration_ms=int(((finished or time.monotonic()) - started) * 1000),
            )
        )
        session.flush()
        # Keep the newest HISTORY_KEPT: everything older than the oldest of them goes.
        cutoff = session.scalars(
            select(QueryHistoryRow.id)
            .where(QueryHistoryRow.experiment_id == experiment_id)
            .order_by(QueryHistoryRow.id.desc())
            .offset(HISTORY_KEPT - 1)
            .limit(1)
        ).first()
        if cutoff is not None:
            session.execute(
                delete(QueryHistoryRow).where(
                    QueryHistoryRow.experiment_id == experiment_id, QueryHistoryRow.id < cutoff
                )
            )
        session.commit()


class HistoryWriter:
    """Writes history lines in order on one thread (so one state connection at most)."""

    def __init__(self, rt: Runtime, max_pending: int = MAX_PENDING) -> None:
        self._rt = rt
        self._max_pending = max_pending
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="dwsim-history")
        self._pending: set[Future[None]] = set()
        self._lock = threading.Lock()

    def submit(self, experiment_id: int, sql: str, **fields: Any) -> None:
        fields.setdefault("finished", time.monotonic())
        with self._lock:
            if len(self._pending) >= self._max_pending:
                log.warning(
                    "query history: %d lines waiting, dropped the line of experiment %s",
                    len(self._pending), experiment_id,
                )  # fmt: skip
                return
            future = self._pool.submit(self._write, experiment_id, sql, fields)
            self._pending.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: Future[None]) -> None:
        with self._lock:
            self._pending.discard(future)

    def _write(self, experiment_id: int, sql: str, fields: dict[str, Any]) -> None:
        try:
            record(self._rt, experiment_id, sql, **fields)
        except Exception as error:  # the answer went out already: lose the line, not the process
            log.warning(
                "query history: lost the line of experiment %s: %s",
                experiment_id, error_text(error),
            )  # fmt: skip

    def flush(self, timeout_s: float = 5.0) -> None:
        """Wait for the lines submitted so far (a history read sees this process's queries)."""
        with self._lock:
            pending = list(self._pending)
        if pending:
            wait(pending, timeout=timeout_s)

    def close(self) -> None:
        self.flush()
        self._pool.shutdown(wait=False, cancel_futures=True)


_writers: weakref.WeakKeyDictionary[Runtime, HistoryWriter] = weakref.WeakKeyDictionary()
_writers_lock = threading.Lock()


def writer(rt: Runtime) -> HistoryWriter:
    """The history writer of this runtime (one per gateway process)."""
    with _writers_lock:
        found = _writers.get(rt)
        if found is None:
            found = _writers[rt] = HistoryWriter(rt)
        return found


def close(rt: Runtime) -> None:
    with _writers_lock:
        found = _writers.pop(rt, None)
    if found is not None:
        found.close()
