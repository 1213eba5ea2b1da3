"""Studio: the render queue in the runs table, run events for SSE, graph revisions.

Revision ID: 0003_studio
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_studio"
down_revision = "0002"
branch_labels = None
depends_on = None

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
EVENT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("priority", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("claimed_by", sa.String(length=256), nullable=True))
        batch.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("cancel_requested", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("submitted_by", sa.String(length=256), nullable=True))
        batch.create_index("ix_runs_queue", ["status", "priority", "created_at"])
    op.create_table(
        "run_events",
        sa.Column("id", EVENT_ID, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(length=32), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_run_events_run_id_id", "run_events", ["run_id", "id"])
    op.create_table(
        "graph_revisions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("path", sa.String(length=1024), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("saved_by", sa.String(length=256), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_graph_revisions_path", "graph_revisions", ["path"])
    op.create_table(
        "queue_settings",
        sa.Column("name", sa.String(length=64), primary_key=True),
        sa.Column("value", sa.String(length=256), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("queue_settings")
    op.drop_index("ix_graph_revisions_path", table_name="graph_revisions")
    op.drop_table("graph_revisions")
    op.drop_index("ix_run_events_run_id_id", table_name="run_events")
    op.drop_table("run_events")
    with op.batch_alter_table("runs") as batch:
        batch.drop_index("ix_runs_queue")
        for column in ("submitted_by", "cancel_requested", "heartbeat_at", "claimed_at", "claimed_by", "priority"):
            batch.drop_column(column)
