"""SQLAlchemy 2 models of the state database (PostgreSQL in the stack, SQLite embedded)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar = {dict[str, Any]: JSON, list[Any]: JSON}


class RunStatus(enum.StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    # Every row is loaded, but a check of the run's validation report failed.
    COMPLETED_WITH_WARNINGS = "COMPLETED_WITH_WARNINGS"
    FAILED = "FAILED"
    ABORTED = "ABORTED"


ACTIVE_RUN_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)
# Every row loaded and published; the report's verdict does not make a run less complete.
COMPLETED_RUN_STATUSES = (RunStatus.COMPLETED, RunStatus.COMPLETED_WITH_WARNINGS)


class ShardStatus(enum.StrEnum):
    PENDING = "PENDING"
    GENERATING = "GENERATING"
    GENERATED = "GENERATED"
    LOADING = "LOADING"
    LOADED = "LOADED"
    FAILED = "FAILED"


Timestamp = DateTime(timezone=True)


class ExperimentRow(Base):
    __tablename__ = "experiments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    source_dialect: Mapped[str] = mapped_column(String(20))
    target_warehouse: Mapped[str] = mapped_column(String(20))
    schema_json: Mapped[dict[str, Any]] = mapped_column(JSON)
    warnings: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)

    runs: Mapped[list[RunRow]] = relationship(
        back_populates="experiment", cascade="all, delete-orphan", passive_deletes=True
    )


class RunRow(Base):
    __tablename__ = "runs"
    __table_args__ = (
        # At most one active run per experiment, enforced by the database itself.
        Index(
            "uq_runs_one_active_per_experiment",
            "experiment_id",
            unique=True,
            postgresql_where=text("status IN ('QUEUED', 'RUNNING')"),
            sqlite_where=text("status IN ('QUEUED', 'RUNNING')"),
        ),
        Index("uq_runs_experiment_number", "experiment_id", "number", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The run's number within its experiment (1 is its first run): what users see and type;
    # `id` stays the internal key (shards, object keys, staging names).
    number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("experiments.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20), default="generate")
    status: Mapped[str] = mapped_column(String(32), default=RunStatus.QUEUED)
    seed: Mapped[int] = mapped_column(BigInteger)
    shard_size: Mapped[int] = mapped_column(Integer)
    warehouse: Mapped[str] = mapped_column(String(20))
    # The experiment schema as it was when the run was submitted: workers never see later edits.
    schema_json: Mapped[dict[str, Any]] = mapped_column(JSON)
    row_targets: Mapped[dict[str, Any]] = mapped_column(JSON)
    finalizing: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    traceback: Mapped[str | None] = mapped_column(Text, nullable=True)
    reconciled_counts: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # The generation plan's digest, and the validation report run in the warehouse afterwards.
    plan_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # Life cycle (leases.py, sweeper.py): who holds the run-level step (prepare or finalize) and
    # until when; how often it was taken; when staging was ready, published, and objects removed.
    lease_until: Mapped[dt.datetime | None] = mapped_column(Timestamp, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    prepared_at: Mapped[dt.datetime | None] = mapped_column(Timestamp, nullable=True)
    published_at: Mapped[dt.datetime | None] = mapped_column(Timestamp, nullable=True)
    source_run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Lineage: the experiment version the run was submitted from, and what produced its bytes
    # (document digest, project version, lock file digest, versions of value-shaping libraries).
    experiment_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    provenance: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    objects_deleted_at: Mapped[dt.datetime | None] = mapped_column(Timestamp, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(Timestamp, nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(Timestamp, nullable=True)

    experiment: Mapped[ExperimentRow] = relationship(back_populates="runs")
    shards: Mapped[list[RunShardRow]] = relationship(
        back_populates="run", cascade="all, delete-orphan", passive_deletes=True
    )


class RunShardRow(Base):
    __tablename__ = "run_shards"
    __table_args__ = (UniqueConstraint("run_id", "table_name", "shard_index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    table_name: Mapped[str] = mapped_column(String(127))
    shard_index: Mapped[int] = mapped_column(Integer)
    row_start: Mapped[int] = mapped_column(BigInteger)
    row_count: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20), default=ShardStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    object_key: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    # SHA-256 and size of the Parquet object as written (lineage, reproducible bundles).
    checksum: Mapped[str | None] = mapped_column(String(64), nullable=True)
    object_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    rows_written: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_loaded: Mapped[int] = mapped_column(BigInteger, default=0)
    # What the loader loaded, recorded with `rows_loaded` (`reports.loaded.shard_facts`): its
    # integer keys' counts, bounds and digests, which the run's report adds up.
    load_facts: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    worker: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # A worker holds the shard until then and renews it while it works; the sweeper re-enqueues
    # a shard whose lease ran out, whatever state it stalled in.
    lease_until: Mapped[dt.datetime | None] = mapped_column(Timestamp, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)

    run: Mapped[RunRow] = relationship(back_populates="shards")


class ExperimentVersionRow(Base):
    """Every document an experiment ever had: version 1 at creation, one more per update."""

    __tablename__ = "experiment_versions"
    __table_args__ = (UniqueConstraint("experiment_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The DDL an imported experiment came from, as the user sent it.
    source_sql: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class LineageEventRow(Base):
    """One step of an experiment's history: submit, publish, reset, load, retry, fail, abort."""

    __tablename__ = "lineage_events"
    __table_args__ = (Index("ix_lineage_events_experiment_id_id", "experiment_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id", ondelete="CASCADE"))
    run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    kind: Mapped[str] = mapped_column(String(20))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class WorkerRow(Base):
    """A worker process seen alive: written by its sweeper timer, read to say what a run waits for."""

    __tablename__ = "workers"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    queue: Mapped[str] = mapped_column(String(50), index=True)
    last_seen: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class SweepClaimRow(Base):
    """One row per periodic job: the process that moves `next_at` forward is the one that acts."""

    __tablename__ = "sweep_claims"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(255), nullable=True)
    next_at: Mapped[dt.datetime] = mapped_column(Timestamp)


class SavedQueryRow(Base):
    __tablename__ = "saved_queries"
    __table_args__ = (UniqueConstraint("experiment_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("experiments.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(127))
    sql_text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)


class WorksheetRow(Base):
    """A named worksheet of an experiment: the SQL being written, autosaved by the UI."""

    __tablename__ = "worksheets"
    __table_args__ = (UniqueConstraint("experiment_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("experiments.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(63))
    sql_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)


class QueryHistoryRow(Base):
    """One query run on an experiment (kept: the newest `HISTORY_KEPT` per experiment)."""

    __tablename__ = "query_history"
    __table_args__ = (Index("ix_query_history_experiment_id_id", "experiment_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id", ondelete="CASCADE"))
    sql_text: Mapped[str] = mapped_column(Text)
    saved_query: Mapped[str | None] = mapped_column(String(127), nullable=True)
    format: Mapped[str] = mapped_column(String(10), default="json")
    status: Mapped[str] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    row_count: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class EndpointCredentialRow(Base):
    """The password a client gives a wire endpoint to reach one experiment (rotated on request).

    Kept readable, not hashed: the connection details show it, as a warehouse console does."""

    __tablename__ = "endpoint_credentials"

    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("experiments.id", ondelete="CASCADE"), primary_key=True
    )
    password: Mapped[str] = mapped_column(String(64))
    rotated_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
