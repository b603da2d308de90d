"""shard_load_facts: what each loaded shard put in its table (keys' counts, bounds, digests)

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("run_shards") as batch:
        batch.add_column(sa.Column("load_facts", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("run_shards") as batch:
        batch.drop_column("load_facts")
