"""Query history keeps the newest 200 queries per experiment, with their outcome."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
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


def test_a_history_line_that_cannot_be_written_is_logged_and_lost_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The writer runs after the answer: a state DB failing then costs the line, nothing else."""
    from sqlalchemy import text

    from dwsim_gateway.history import HistoryWriter

    rt = Runtime(Settings(home=tmp_path))
    migrate(rt.engine)
    with rt.session() as session:
        row = ExperimentRow(name="a", source_dialect="redshift", target_warehouse="sqlite",
                            schema_json={}, warnings=[])  # fmt: skip
        session.add(row)
        session.commit()
        experiment_id = row.id
    writer = HistoryWriter(rt)
    writer.submit(experiment_id, "SELECT 1", started=time.monotonic(), status_code=200, body={})
    writer.flush()
    with rt.engine.begin() as conn:
        conn.execute(text("DROP TABLE query_history"))
    with caplog.at_level("WARNING", logger="dwsim_gateway.history"):
        writer.submit(experiment_id, "SELECT 2", started=time.monotonic(), status_code=200)
        writer.flush()
    assert "lost the line of experiment" in caplog.text
    writer.submit(experiment_id, "SELECT 3", started=time.monotonic(), status_code=200)
    writer.close()  # the writer survives its failures
    rt.close()


def test_history_lines_beyond_the_backlog_are_dropped_with_a_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from dwsim_gateway.history import HistoryWriter

    rt = Runtime(Settings(home=tmp_path))
    migrate(rt.engine)
    writer = HistoryWriter(rt, max_pending=0)
    with caplog.at_level("WARNING", logger="dwsim_gateway.history"):
        writer.submit(1, "SELECT 1", started=time.monotonic(), status_code=200)
    assert "dropped the line of experiment 1" in caplog.text
    writer.close()
    rt.close()
