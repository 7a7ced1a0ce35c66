"""Instalment plans: schedule, terms, approver and how each plan ended.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 13:34:47.761140
"""

from alembic import op
import sqlalchemy as sa

import arrears.db.types


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('plans',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('plan_id', sa.String(length=64), nullable=False),
    sa.Column('episode_id', sa.String(length=64), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('total', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.Column('schedule', sa.JSON(), nullable=False),
    sa.Column('fee_waiver', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.Column('rate_discount_percent', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.Column('approved_by', sa.String(length=64), nullable=False),
    sa.Column('approver_role', sa.String(length=16), nullable=False),
    sa.Column('made_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=False),
    sa.Column('paid_into', arrears.db.types.Money(precision=20, scale=4), nullable=True),
    sa.Column('resolved_at', arrears.db.types.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['episode_id'], ['episodes.episode_id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'plan_id', name='uq_plans_account_plan')
    )
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plans_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plans_episode_id'), ['episode_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plans_status'), ['status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plans_status'))
        batch_op.drop_index(batch_op.f('ix_plans_episode_id'))
        batch_op.drop_index(batch_op.f('ix_plans_account_id'))

    op.drop_table('plans')
