"""promises to pay

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 13:12:39.210347
"""

from alembic import op
import sqlalchemy as sa

import arrears.db.types


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('promises',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('promise_id', sa.String(length=64), nullable=False),
    sa.Column('episode_id', sa.String(length=64), nullable=False),
    sa.Column('amount', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('promised_date', sa.Date(), nullable=False),
    sa.Column('deadline', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('collector_id', sa.String(length=64), nullable=False),
    sa.Column('supervisor_id', sa.String(length=64), nullable=True),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('made_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('made_dpd', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('paid_toward', arrears.db.types.Money(precision=20, scale=4), nullable=True),
    sa.Column('resolved_at', arrears.db.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('replaced_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['episode_id'], ['episodes.episode_id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'promise_id', name='uq_promises_account_promise')
    )
    with op.batch_alter_table('promises', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_promises_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_promises_episode_id'), ['episode_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_promises_status'), ['status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('promises', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_promises_status'))
        batch_op.drop_index(batch_op.f('ix_promises_episode_id'))
        batch_op.drop_index(batch_op.f('ix_promises_account_id'))

    op.drop_table('promises')
