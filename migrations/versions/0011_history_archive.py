"""Archived workflow histories

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 08:00:00
"""

from alembic import op
import sqlalchemy as sa

from arrears.db.types import UtcDateTime


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'archived_histories',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('workflow_id', sa.String(length=100), nullable=False),
        sa.Column('run_id', sa.String(length=64), nullable=False),
        sa.Column('run_index', sa.Integer(), nullable=False),
        sa.Column('workflow_type', sa.String(length=100), nullable=False),
        sa.Column('account_id', sa.String(length=64), nullable=True),
        sa.Column('episode_id', sa.String(length=64), nullable=True),
        sa.Column('closed_at', UtcDateTime(), nullable=False),
        sa.Column('close_event', sa.String(length=40), nullable=False),
        sa.Column('events', sa.Integer(), nullable=False),
        sa.Column('json_bytes', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('archived_at', UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('workflow_id', 'run_id', name='uq_archived_histories_run'),
    )
    with op.batch_alter_table('archived_histories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_archived_histories_workflow_id'), ['workflow_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_archived_histories_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_archived_histories_episode_id'), ['episode_id'], unique=False)


def downgrade() -> None:
    op.drop_table('archived_histories')
