"""The lineage history in the state DB: an experiment's versions and its run events.

Every writer of a run's life cycle (gateway routes, workers) records its step here, in the
same transaction as the step itself, so the history never claims a step that did not commit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from dwsim_shared.lineage import openlineage
from dwsim_shared.lineage.provenance import document_digest
from dwsim_shared.state.models import (
    ExperimentRow,
    ExperimentVersionRow,
    LineageEventRow,
    RunRow,
)

# The kinds of event, in the words the API and the CLI show.
EVENT_KINDS = ("create", "update", "generate", "load", "retry", "publish", "fail", "abort", "reset")


def record_event(
    session: Session, experiment_id: int, kind: str, run_id: int | None = None, **details: Any
) -> None:
    assert kind in EVENT_KINDS, kind
    session.add(
        LineageEventRow(
            experiment_id=experiment_id, run_id=run_id, kind=kind, details=details or None
        )
    )
    if run_id is not None:
        openlineage.queue_run_event(session, run_id, kind)


def record_run_event(session: Session, run_id: int, kind: str, **details: Any) -> None:
    experiment_id = session.scalar(select(RunRow.experiment_id).where(RunRow.id == run_id))
    if experiment_id is not None:
        record_event(session, experiment_id, kind, run_id, **details)


def record_version(
    session: Session, row: ExperimentRow, *, source_sql: str | None = None
) -> ExperimentVersionRow:
    """A new version of the experiment's current document (unchanged document: the same one)."""
    latest = latest_version(session, row.id)
    digest = document_digest(row.schema_json)
    if latest is not None and latest.digest == digest:
        return latest
    version = ExperimentVersionRow(
        experiment_id=row.id,
        version=(latest.version + 1) if latest else 1,
        digest=digest,
        document=row.schema_json,
        source_sql=source_sql,
    )
    session.add(version)
    record_event(
        session, row.id, "update" if latest else "create", version=version.version, digest=digest
    )
    session.flush()
    return version


def latest_version(session: Session, experiment_id: int) -> ExperimentVersionRow | None:
    return session.scalars(
        select(ExperimentVersionRow)
        .where(ExperimentVersionRow.experiment_id == experiment_id)
        .order_by(ExperimentVersionRow.version.desc())
        .limit(1)
    ).first()


def current_version(session: Session, row: ExperimentRow) -> ExperimentVersionRow:
    """The version of the experiment's document as it is now; an experiment created before
    versions were kept gets its first one here."""
    latest = latest_version(session, row.id)
    if latest is not None and latest.digest == document_digest(row.schema_json):
        return latest
    return record_version(session, row)


def versions(session: Session, experiment_id: int) -> list[ExperimentVersionRow]:
    return list(
        session.scalars(
            select(ExperimentVersionRow)
            .where(ExperimentVersionRow.experiment_id == experiment_id)
            .order_by(ExperimentVersionRow.version)
        )
    )


def events(session: Session, experiment_id: int) -> list[LineageEventRow]:
    return list(
        session.scalars(
            select(LineageEventRow)
            .where(LineageEventRow.experiment_id == experiment_id)
            .order_by(LineageEventRow.id)
        )
    )


def forget_run_events(session: Session, run_id: int) -> None:
    """A run refused before anything was queued leaves no trace in the history either."""
    session.execute(delete(LineageEventRow).where(LineageEventRow.run_id == run_id))


def version_count(session: Session, experiment_id: int) -> int:
    return int(
        session.scalar(
            select(func.count()).where(ExperimentVersionRow.experiment_id == experiment_id)
        )
        or 0
    )
