"""Settlements: discounted payoff offers, paid (with the amount forgiven) or expired.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 13:31:14.188628
"""

from alembic import op
import sqlalchemy as sa

import arrears.db.types


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('settlements',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('offer_id', sa.String(length=64), nullable=False),
    sa.Column('episode_id', sa.String(length=64), nullable=False),
    sa.Column('amount', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('balance_at_offer', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('expires_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('approved_by', sa.String(length=64), nullable=False),
    sa.Column('approver_role', sa.String(length=16), nullable=False),
    sa.Column('made_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('paid_toward', arrears.db.types.Money(precision=20, scale=4), nullable=True),
    sa.Column('forgiven', arrears.db.types.Money(precision=20, scale=4), nullable=True),
    sa.Column('resolved_at', arrears.db.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('replaced_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['episode_id'], ['episodes.episode_id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'offer_id', name='uq_settlements_account_offer')
    )
    with op.batch_alter_table('settlements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_settlements_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_settlements_episode_id'), ['episode_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_settlements_status'), ['status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('settlements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_settlements_status'))
        batch_op.drop_index(batch_op.f('ix_settlements_episode_id'))
        batch_op.drop_index(batch_op.f('ix_settlements_account_id'))

    op.drop_table('settlements')
