"""runs: plan digest and validation report; status long enough for COMPLETED_WITH_WARNINGS

Revision ID: 0004
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("plan_digest", sa.String(length=64), nullable=True))
    op.add_column("runs", sa.Column("report", sa.JSON(), nullable=True))
    # SQLite ignores VARCHAR lengths (and rebuilding its table would drag the partial index).
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("runs", "status", existing_type=sa.String(20), type_=sa.String(32))


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("runs", "status", existing_type=sa.String(32), type_=sa.String(20))
    op.drop_column("runs", "report")
    op.drop_column("runs", "plan_digest")
