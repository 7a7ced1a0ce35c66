"""Strategy changes: a running episode moved to another strategy, on record

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 15:46:14.251892
"""

from alembic import op
import sqlalchemy as sa

import arrears.db.types


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('strategy_changes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('episode_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('from_name', sa.String(length=100), nullable=False),
    sa.Column('from_hash', sa.String(length=64), nullable=False),
    sa.Column('to_name', sa.String(length=100), nullable=False),
    sa.Column('to_hash', sa.String(length=64), nullable=False),
    sa.Column('applied_by', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('dpd', sa.Integer(), nullable=False),
    sa.Column('applied_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['episode_id'], ['episodes.episode_id'], name='fk_strategy_changes_episode_id'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key')
    )
    with op.batch_alter_table('strategy_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_strategy_changes_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_strategy_changes_episode_id'), ['episode_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('strategy_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_strategy_changes_episode_id'))
        batch_op.drop_index(batch_op.f('ix_strategy_changes_account_id'))

    op.drop_table('strategy_changes')
