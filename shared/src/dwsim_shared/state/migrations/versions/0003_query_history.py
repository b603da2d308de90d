"""query history: the queries run on each experiment

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-30 10:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "query_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("sql_text", sa.Text(), nullable=False),
        sa.Column("saved_query", sa.String(length=127), nullable=True),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("row_count", sa.BigInteger(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["experiment_id"], ["experiments.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("query_history", schema=None) as batch_op:
        batch_op.create_index(
            "ix_query_history_experiment_id_id", ["experiment_id", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("query_history", schema=None) as batch_op:
        batch_op.drop_index("ix_query_history_experiment_id_id")
    op.drop_table("query_history")
