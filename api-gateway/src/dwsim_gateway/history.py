"""Query history: each query run through the gateway, newest 200 kept per experiment."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import delete, select

from dwsim_shared.runtime import Runtime
from dwsim_shared.state.models import QueryHistoryRow

HISTORY_KEPT = 200


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
                duration_ms=int((time.monotonic() - started) * 1000),
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
