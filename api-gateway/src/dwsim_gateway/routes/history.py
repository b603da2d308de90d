"""`GET /api/experiments/{name}/history`: the queries run on the experiment, newest first."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import select

from dwsim_gateway.deps import ExperimentDep, RuntimeDep, SessionDep
from dwsim_gateway.history import HISTORY_KEPT, writer
from dwsim_gateway.models import HistoryAnswer
from dwsim_shared.state.models import QueryHistoryRow

router = APIRouter(tags=["saved queries"])


@router.get("/{name}/history", response_model=HistoryAnswer)
def query_history(row: ExperimentDep, session: SessionDep, rt: RuntimeDep) -> Any:
    """The last 200 queries run on the experiment: time, duration, rows, status and error."""
    writer(rt).flush()  # the lines of queries this process answered are in
    entries = session.scalars(
        select(QueryHistoryRow)
        .where(QueryHistoryRow.experiment_id == row.id)
        .order_by(QueryHistoryRow.id.desc())
        .limit(HISTORY_KEPT)
    ).all()
    return {
        "experiment": row.name,
        "entries": [
            {
                "id": e.id,
                "sql": e.sql_text,
                "saved_query": e.saved_query,
                "format": e.format,
                "status": e.status,
                "error": e.error,
                "row_count": e.row_count,
                "duration_ms": e.duration_ms,
                "created_at": e.created_at.isoformat(),
            }
            for e in entries
        ],
    }
