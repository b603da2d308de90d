"""Query history keeps the newest 200 queries per experiment, with their outcome."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import select

from dwsim_gateway.history import HISTORY_KEPT, record
from dwsim_shared.runtime import Runtime
from dwsim_shared.settings import Settings
from dwsim_shared.state.db import migrate
from dwsim_shared.state.models import ExperimentRow, QueryHistoryRow


def test_history_keeps_the_newest_200_per_experiment(tmp_path: Path) -> None:
    rt = Runtime(Settings(home=tmp_path))
    migrate(rt.engine)
    with rt.session() as session:
        rows = [
            ExperimentRow(name=n, source_dialect="redshift", target_warehouse="sqlite",
                          schema_json={}, warnings=[])
            for n in ("a", "b")
        ]  # fmt: skip
        session.add_all(rows)
        session.commit()
        a, b = rows[0].id, rows[1].id
    started = time.monotonic()
    record(rt, b, "SELECT 0", started=started, status_code=200, body={"row_count": 1})
    for i in range(HISTORY_KEPT + 5):
        ok = i % 2 == 0
        body = {"row_count": i} if ok else {"error": "bad_request", "message": f"no {i}"}
        record(rt, a, f"SELECT {i}", started=started, status_code=200 if ok else 400, body=body)
    with rt.session() as session:
        kept = session.scalars(
            select(QueryHistoryRow)
            .where(QueryHistoryRow.experiment_id == a)
            .order_by(QueryHistoryRow.id)
        ).all()
        other = session.scalars(
            select(QueryHistoryRow).where(QueryHistoryRow.experiment_id == b)
        ).all()
    assert len(kept) == HISTORY_KEPT
    assert kept[0].sql_text == "SELECT 5" and kept[-1].sql_text == f"SELECT {HISTORY_KEPT + 4}"
    assert kept[-1].status == "ok" and kept[-1].row_count == HISTORY_KEPT + 4
    assert kept[-2].status == "error" and kept[-2].error == f"no {HISTORY_KEPT + 3}"
    assert kept[-2].row_count is None
    assert [h.sql_text for h in other] == ["SELECT 0"]
    rt.close()
