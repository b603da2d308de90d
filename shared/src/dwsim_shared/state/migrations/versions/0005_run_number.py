"""runs: a number per experiment (1, 2, 3, ...), the run's name in API paths and CLI output;
worksheets: the named, autosaved SQL worksheets of an experiment

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("number", sa.Integer(), nullable=True))
    # Existing runs are numbered in the order they were created, per experiment.
    op.execute(
        "UPDATE runs SET number = (SELECT COUNT(*) FROM runs AS earlier "
        "WHERE earlier.experiment_id = runs.experiment_id AND earlier.id <= runs.id)"
    )
    op.create_index("uq_runs_experiment_number", "runs", ["experiment_id", "number"], unique=True)
    op.create_table(
        "worksheets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("sql_text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["experiment_id"], ["experiments.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("experiment_id", "name"),
    )
    op.create_index("ix_worksheets_experiment_id", "worksheets", ["experiment_id"])


def downgrade() -> None:
    op.drop_index("ix_worksheets_experiment_id", table_name="worksheets")
    op.drop_table("worksheets")
    op.drop_index("uq_runs_experiment_number", table_name="runs")
    op.drop_column("runs", "number")
