"""Runs record the process executing them, so a run whose process died is seen at once.

Revision ID: 0004_run_owner
Revises: 0003_studio
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_run_owner"
down_revision = "0003_studio"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("owner", sa.String(length=256), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("owner")
