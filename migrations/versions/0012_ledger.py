"""Ledger postings and re-ages

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 08:00:00
"""

from alembic import op
import sqlalchemy as sa

import arrears.db.types


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ledger_postings',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('posting_key', sa.String(length=200), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('episode_id', sa.String(length=64), nullable=False),
    sa.Column('posted_on', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('principal', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.Column('interest', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.Column('fees', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.Column('unapplied', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('created_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['episode_id'], ['episodes.episode_id'], name='fk_ledger_postings_episode_id'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('posting_key')
    )
    with op.batch_alter_table('ledger_postings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_postings_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_postings_episode_id'), ['episode_id'], unique=False)

    op.create_table('reages',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('reage_id', sa.String(length=64), nullable=False),
    sa.Column('episode_id', sa.String(length=64), nullable=False),
    sa.Column('reaged_on', sa.Date(), nullable=False),
    sa.Column('approved_by', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('overdue_cleared', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('recorded_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['episode_id'], ['episodes.episode_id'], name='fk_reages_episode_id'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'reage_id', name='uq_reages_account_reage')
    )
    with op.batch_alter_table('reages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reages_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reages_episode_id'), ['episode_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('reages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reages_episode_id'))
        batch_op.drop_index(batch_op.f('ix_reages_account_id'))

    op.drop_table('reages')
    with op.batch_alter_table('ledger_postings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_postings_episode_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_postings_account_id'))

    op.drop_table('ledger_postings')
