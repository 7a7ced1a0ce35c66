"""Risk assessment: account behaviour, risk models, segment changes, the watch list

Revision ID: 0020
Revises: 0014
Create Date: 2026-11-30 21:00:00

The episode row gains its trigger (missed_due, over_limit, early_warning) and the
risk model version that set its current segment.
"""

from alembic import op
import sqlalchemy as sa

import arrears.db.types


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('account_behaviour',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('statement_month', sa.Date(), nullable=False),
    sa.Column('credit_limit', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.Column('statement_balance', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.Column('minimum_due', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.Column('amount_paid', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.Column('cash_advance', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.Column('over_limit_amount', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.Column('months_on_book', sa.Integer(), nullable=False),
    sa.Column('payment_reversals', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('payment_due_date', sa.Date(), nullable=True),
    sa.Column('imported_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'statement_month', name='uq_account_behaviour_account_month')
    )
    with op.batch_alter_table('account_behaviour', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_behaviour_account_id'), ['account_id'], unique=False)

    op.create_table('rescore_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('event_key', sa.String(length=200), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('episode_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('handled_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_key')
    )
    with op.batch_alter_table('rescore_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rescore_events_account_id'), ['account_id'], unique=False)

    op.create_table('risk_models',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('model_hash', sa.String(length=64), nullable=False),
    sa.Column('version', sa.String(length=80), nullable=False),
    sa.Column('target', sa.String(length=32), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('card', sa.Text(), nullable=False),
    sa.Column('trained_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('registered_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('activated_at', arrears.db.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('activated_by', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('model_hash'),
    sa.UniqueConstraint('version')
    )
    with op.batch_alter_table('risk_models', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_models_target'), ['target'], unique=False)

    op.create_table('watchlist_entries',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('flags', sa.JSON(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('model_version', sa.String(length=80), nullable=True),
    sa.Column('listed_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('as_of', 'account_id', name='uq_watchlist_entries_day_account')
    )
    with op.batch_alter_table('watchlist_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_watchlist_entries_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_watchlist_entries_as_of'), ['as_of'], unique=False)

    op.create_table('risk_segment_changes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('episode_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('request_id', sa.String(length=100), nullable=False),
    sa.Column('segment', sa.String(length=8), nullable=False),
    sa.Column('previous', sa.String(length=8), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('model_version', sa.String(length=80), nullable=True),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('set_by', sa.String(length=64), nullable=False),
    sa.Column('override', sa.Boolean(), nullable=False),
    sa.Column('release_override', sa.Boolean(), nullable=False),
    sa.Column('changed', sa.Boolean(), nullable=False),
    sa.Column('overridden', sa.Boolean(), nullable=False),
    sa.Column('dpd', sa.Integer(), nullable=False),
    sa.Column('changed_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['episode_id'], ['episodes.episode_id'], name='fk_risk_segment_changes_episode_id'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key')
    )
    with op.batch_alter_table('risk_segment_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_segment_changes_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_risk_segment_changes_episode_id'), ['episode_id'], unique=False)

    with op.batch_alter_table('episodes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trigger', sa.String(length=16), server_default='missed_due', nullable=False))
        batch_op.add_column(sa.Column('risk_model_version', sa.String(length=80), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('episodes', schema=None) as batch_op:
        batch_op.drop_column('risk_model_version')
        batch_op.drop_column('trigger')

    with op.batch_alter_table('risk_segment_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_segment_changes_episode_id'))
        batch_op.drop_index(batch_op.f('ix_risk_segment_changes_account_id'))

    op.drop_table('risk_segment_changes')
    with op.batch_alter_table('watchlist_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_watchlist_entries_as_of'))
        batch_op.drop_index(batch_op.f('ix_watchlist_entries_account_id'))

    op.drop_table('watchlist_entries')
    with op.batch_alter_table('risk_models', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_models_target'))

    op.drop_table('risk_models')
    with op.batch_alter_table('rescore_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rescore_events_account_id'))

    op.drop_table('rescore_events')
    with op.batch_alter_table('account_behaviour', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_behaviour_account_id'))

    op.drop_table('account_behaviour')
