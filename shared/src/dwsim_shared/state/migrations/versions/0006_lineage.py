"""lineage: experiment versions, run provenance, object checksums, one history of run events

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "experiment_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "experiment_id",
            sa.Integer(),
            sa.ForeignKey("experiments.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("source_sql", sa.Text(), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.UniqueConstraint("experiment_id", "version"),
    )
    op.create_table(
        "lineage_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "experiment_id",
            sa.Integer(),
            sa.ForeignKey("experiments.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("at", Timestamp, nullable=False),
    )
    op.create_index("ix_lineage_events_experiment_id_id", "lineage_events", ["experiment_id", "id"])
    op.add_column("runs", sa.Column("experiment_version", sa.Integer(), nullable=True))
    op.add_column("runs", sa.Column("provenance", sa.JSON(), nullable=True))
    op.add_column("run_shards", sa.Column("checksum", sa.String(length=64), nullable=True))
    op.add_column("run_shards", sa.Column("object_bytes", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("run_shards", "object_bytes")
    op.drop_column("run_shards", "checksum")
    op.drop_column("runs", "provenance")
    op.drop_column("runs", "experiment_version")
    op.drop_index("ix_lineage_events_experiment_id_id", "lineage_events")
    op.drop_table("lineage_events")
    op.drop_table("experiment_versions")
