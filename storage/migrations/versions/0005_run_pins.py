"""Pinned runs: `reelgraph store gc` keeps everything a pinned run references.

Revision ID: 0005_pins
Revises: 0004_run_owner
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_pins"
down_revision = "0004_run_owner"
branch_labels = None
depends_on = None


# Plain ALTER TABLE, not batch mode: SQLite adds a column with a constant default in place, while a
# batch copy would drop `runs`, which node_runs' foreign keys refer to.
def upgrade() -> None:
    op.add_column("runs", sa.Column("pinned", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    op.drop_column("runs", "pinned")  # SQLite >= 3.35 drops columns in place
