"""Recoveries after charge-off

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 08:30:00
"""

from alembic import op
import sqlalchemy as sa

import arrears.db.types


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('recoveries',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('episode_id', sa.String(length=64), nullable=False),
    sa.Column('payment_id', sa.String(length=64), nullable=False),
    sa.Column('amount', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('paid_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('recovered_total_after', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.Column('recorded_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['episode_id'], ['episodes.episode_id'], name='fk_recoveries_episode_id'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'payment_id', name='uq_recoveries_account_payment'),
    sa.UniqueConstraint('idempotency_key')
    )
    with op.batch_alter_table('recoveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recoveries_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recoveries_episode_id'), ['episode_id'], unique=False)

    op.create_table('recovery_outcomes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('episode_id', sa.String(length=64), nullable=False),
    sa.Column('workflow_id', sa.String(length=100), nullable=False),
    sa.Column('recovery_outcome', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('closed_by', sa.String(length=64), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('written_off', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.Column('recovered_total', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.Column('forgiven', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.Column('closed_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['episode_id'], ['episodes.episode_id'], name='fk_recovery_outcomes_episode_id'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key')
    )
    with op.batch_alter_table('recovery_outcomes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_outcomes_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recovery_outcomes_episode_id'), ['episode_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recovery_outcomes_recovery_outcome'), ['recovery_outcome'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('recovery_outcomes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_outcomes_recovery_outcome'))
        batch_op.drop_index(batch_op.f('ix_recovery_outcomes_episode_id'))
        batch_op.drop_index(batch_op.f('ix_recovery_outcomes_account_id'))

    op.drop_table('recovery_outcomes')
    with op.batch_alter_table('recoveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recoveries_episode_id'))
        batch_op.drop_index(batch_op.f('ix_recoveries_account_id'))

    op.drop_table('recoveries')
