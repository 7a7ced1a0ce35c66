"""Agencies: agencies file, placements (placed, renewed, recalled, closed), commissions

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 14:13:38.602990
"""

from alembic import op
import sqlalchemy as sa

import arrears.db.types


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agencies',
    sa.Column('agency_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('commission_percent', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('placement_days', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('updated_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('agency_id')
    )
    op.create_table('agency_placements',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('agency_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('episode_id', sa.String(length=64), nullable=False),
    sa.Column('commission_percent', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.Column('placement_days', sa.Integer(), nullable=False),
    sa.Column('placed_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('renewals', sa.Integer(), server_default='0', nullable=False),
    sa.Column('ended_at', arrears.db.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('collected', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.agency_id'], name='fk_agency_placements_agency_id'),
    sa.ForeignKeyConstraint(['episode_id'], ['episodes.episode_id'], name='fk_agency_placements_episode_id'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key')
    )
    with op.batch_alter_table('agency_placements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agency_placements_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agency_placements_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agency_placements_episode_id'), ['episode_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agency_placements_status'), ['status'], unique=False)

    op.create_table('agency_commissions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('payment_id', sa.String(length=64), nullable=False),
    sa.Column('placement_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.String(length=64), nullable=False),
    sa.Column('payment_amount', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.Column('percent', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.Column('commission', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('recorded_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['placement_id'], ['agency_placements.id'], name='fk_agency_commissions_placement_id'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'payment_id', name='uq_agency_commissions_account_payment')
    )
    with op.batch_alter_table('agency_commissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agency_commissions_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agency_commissions_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agency_commissions_placement_id'), ['placement_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('agency_commissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agency_commissions_placement_id'))
        batch_op.drop_index(batch_op.f('ix_agency_commissions_agency_id'))
        batch_op.drop_index(batch_op.f('ix_agency_commissions_account_id'))

    op.drop_table('agency_commissions')
    with op.batch_alter_table('agency_placements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agency_placements_status'))
        batch_op.drop_index(batch_op.f('ix_agency_placements_episode_id'))
        batch_op.drop_index(batch_op.f('ix_agency_placements_agency_id'))
        batch_op.drop_index(batch_op.f('ix_agency_placements_account_id'))

    op.drop_table('agency_placements')
    op.drop_table('agencies')
