"""Initial schema: graphs, runs, node runs, artifacts, node outputs, schedules.

Revision ID: 0001
Revises: 
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('artifacts',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('mime', sa.String(length=128), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('uri', sa.Text(), nullable=False),
    sa.Column('meta', sa.JSON(), nullable=False),
    sa.Column('producer_node_run_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sha256')
    )
    op.create_table('graphs',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=256), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('schedules',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=256), nullable=False),
    sa.Column('graph_path', sa.Text(), nullable=False),
    sa.Column('cron', sa.String(length=128), nullable=False),
    sa.Column('overrides', sa.JSON(), nullable=False),
    sa.Column('engine', sa.String(length=32), nullable=False),
    sa.Column('deployment_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('runs',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('graph_id', sa.String(length=64), nullable=False),
    sa.Column('engine', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('workspace', sa.Text(), nullable=False),
    sa.Column('store_uri', sa.Text(), nullable=False),
    sa.Column('overrides', sa.JSON(), nullable=False),
    sa.Column('targets', sa.JSON(), nullable=False),
    sa.Column('matrix', sa.JSON(), nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['graph_id'], ['graphs.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_runs_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_runs_graph_id'), ['graph_id'], unique=False)

    op.create_table('node_runs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=32), nullable=False),
    sa.Column('node_id', sa.String(length=512), nullable=False),
    sa.Column('base_id', sa.String(length=128), nullable=False),
    sa.Column('type', sa.String(length=128), nullable=False),
    sa.Column('type_version', sa.Integer(), nullable=False),
    sa.Column('cache_key', sa.String(length=64), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('inputs', sa.JSON(), nullable=False),
    sa.Column('bindings', sa.JSON(), nullable=False),
    sa.Column('resources', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('host', sa.String(length=256), nullable=True),
    sa.Column('worker', sa.String(length=256), nullable=True),
    sa.Column('gpu', sa.String(length=64), nullable=True),
    sa.Column('cached_from', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error_code', sa.String(length=64), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('traceback', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('run_id', 'node_id', name='uq_node_runs_run_node')
    )
    with op.batch_alter_table('node_runs', schema=None) as batch_op:
        batch_op.create_index('ix_node_runs_cache_key_status', ['cache_key', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_node_runs_run_id'), ['run_id'], unique=False)

    op.create_table('node_outputs',
    sa.Column('node_run_id', sa.Integer(), nullable=False),
    sa.Column('port', sa.String(length=128), nullable=False),
    sa.Column('artifact_sha256', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['artifact_sha256'], ['artifacts.sha256'], ),
    sa.ForeignKeyConstraint(['node_run_id'], ['node_runs.id'], ),
    sa.PrimaryKeyConstraint('node_run_id', 'port')
    )
    with op.batch_alter_table('node_outputs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_node_outputs_artifact_sha256'), ['artifact_sha256'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('node_outputs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_node_outputs_artifact_sha256'))

    op.drop_table('node_outputs')
    with op.batch_alter_table('node_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_node_runs_run_id'))
        batch_op.drop_index('ix_node_runs_cache_key_status')

    op.drop_table('node_runs')
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_runs_graph_id'))
        batch_op.drop_index(batch_op.f('ix_runs_created_at'))

    op.drop_table('runs')
    op.drop_table('schedules')
    op.drop_table('graphs')
    op.drop_table('artifacts')
