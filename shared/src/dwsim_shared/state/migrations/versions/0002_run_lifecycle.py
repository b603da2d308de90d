"""run life cycle: leases, attempts, staging and publish, workers seen, sweep claims

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch_op:
        batch_op.add_column(sa.Column("lease_until", TIMESTAMP, nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("prepared_at", TIMESTAMP, nullable=True))
        batch_op.add_column(sa.Column("published_at", TIMESTAMP, nullable=True))
        batch_op.add_column(sa.Column("source_run_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("objects_deleted_at", TIMESTAMP, nullable=True))
    with op.batch_alter_table("run_shards") as batch_op:
        batch_op.add_column(sa.Column("lease_until", TIMESTAMP, nullable=True))
    # Runs that finished before this migration published their data in place.
    op.execute(
        "UPDATE runs SET published_at = finished_at, prepared_at = started_at "
        "WHERE status = 'COMPLETED'"
    )
    op.create_table(
        "workers",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("queue", sa.String(length=50), nullable=False),
        sa.Column("last_seen", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_index("ix_workers_queue", "workers", ["queue"])
    op.create_table(
        "sweep_claims",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("holder", sa.String(length=255), nullable=True),
        sa.Column("next_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("sweep_claims")
    op.drop_index("ix_workers_queue", table_name="workers")
    op.drop_table("workers")
    with op.batch_alter_table("run_shards") as batch_op:
        batch_op.drop_column("lease_until")
    with op.batch_alter_table("runs") as batch_op:
        for name in ("objects_deleted_at", "source_run_id", "published_at", "prepared_at",
                     "attempts", "lease_until"):  # fmt: skip
            batch_op.drop_column(name)
