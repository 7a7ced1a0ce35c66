"""Card restrictions, blacklist, bureau reporting and legal cases

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 08:00:00

Only new tables, each referring to episodes (0001) at most: nothing here
depends on what 0012 (the ledger) creates.
"""

from alembic import op
import sqlalchemy as sa

import arrears.db.types


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('blacklist_entries',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('episode_id', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.String(length=64), nullable=False),
    sa.Column('blocks', sa.JSON(), nullable=False),
    sa.Column('listed_from', sa.Date(), nullable=False),
    sa.Column('listed_until', sa.Date(), nullable=True),
    sa.Column('dpd', sa.Integer(), nullable=False),
    sa.Column('listed_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('removal_set_at', arrears.db.types.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['episode_id'], ['episodes.episode_id'], name='fk_blacklist_entries_episode_id'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('episode_id', 'reason', name='uq_blacklist_entries_episode_reason')
    )
    with op.batch_alter_table('blacklist_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_blacklist_entries_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_blacklist_entries_episode_id'), ['episode_id'], unique=False)

    op.create_table('bureau_notices',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('episode_id', sa.String(length=64), nullable=False),
    sa.Column('sent_on', sa.Date(), nullable=False),
    sa.Column('sent_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('template', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('recipient', sa.String(length=500), nullable=False),
    sa.Column('rendered_text', sa.Text(), nullable=False),
    sa.Column('result', sa.String(length=32), nullable=False),
    sa.Column('dpd', sa.Integer(), nullable=False),
    sa.Column('step_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['episode_id'], ['episodes.episode_id'], name='fk_bureau_notices_episode_id'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key')
    )
    with op.batch_alter_table('bureau_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bureau_notices_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bureau_notices_episode_id'), ['episode_id'], unique=False)

    op.create_table('bureau_reports',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('episode_id', sa.String(length=64), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reported_status', sa.String(length=16), nullable=False),
    sa.Column('dpd', sa.Integer(), nullable=False),
    sa.Column('reported_dpd', sa.Integer(), nullable=False),
    sa.Column('bucket', sa.String(length=4), nullable=False),
    sa.Column('overdue_amount', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.Column('reported_overdue', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.Column('total_balance', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('withheld', sa.Boolean(), nullable=False),
    sa.Column('correction', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('created_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['episode_id'], ['episodes.episode_id'], name='fk_bureau_reports_episode_id'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'period', name='uq_bureau_reports_account_period')
    )
    with op.batch_alter_table('bureau_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bureau_reports_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bureau_reports_episode_id'), ['episode_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bureau_reports_period'), ['period'], unique=False)

    op.create_table('card_restrictions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('apply_key', sa.String(length=200), nullable=False),
    sa.Column('lift_key', sa.String(length=200), nullable=True),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('episode_id', sa.String(length=64), nullable=False),
    sa.Column('level', sa.String(length=32), nullable=False),
    sa.Column('step_id', sa.String(length=64), nullable=False),
    sa.Column('dpd', sa.Integer(), nullable=False),
    sa.Column('applied_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('lifted_at', arrears.db.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('lift_reason', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['episode_id'], ['episodes.episode_id'], name='fk_card_restrictions_episode_id'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('apply_key'),
    sa.UniqueConstraint('lift_key')
    )
    with op.batch_alter_table('card_restrictions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_card_restrictions_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_card_restrictions_episode_id'), ['episode_id'], unique=False)

    op.create_table('legal_cases',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('episode_id', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('referred_on', sa.Date(), nullable=False),
    sa.Column('last_event_on', sa.Date(), nullable=False),
    sa.Column('step_id', sa.String(length=64), nullable=False),
    sa.Column('dpd', sa.Integer(), nullable=False),
    sa.Column('principal', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('criteria', sa.String(length=64), nullable=False),
    sa.Column('decision', sa.JSON(), nullable=False),
    sa.Column('costs_recoverable', sa.Boolean(), nullable=False),
    sa.Column('costs', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.Column('recoverable_costs', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.Column('referred_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['episode_id'], ['episodes.episode_id'], name='fk_legal_cases_episode_id'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key')
    )
    with op.batch_alter_table('legal_cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_legal_cases_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_legal_cases_episode_id'), ['episode_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_legal_cases_state'), ['state'], unique=False)

    op.create_table('legal_case_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('event_on', sa.Date(), nullable=False),
    sa.Column('from_state', sa.String(length=16), nullable=False),
    sa.Column('to_state', sa.String(length=16), nullable=False),
    sa.Column('cost', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('recoverable', sa.Boolean(), nullable=False),
    sa.Column('document_path', sa.String(length=500), nullable=True),
    sa.Column('document_sha256', sa.String(length=64), nullable=True),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('recorded_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['legal_cases.id'], name='fk_legal_case_events_case_id'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key')
    )
    with op.batch_alter_table('legal_case_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_legal_case_events_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_legal_case_events_case_id'), ['case_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('legal_case_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_legal_case_events_case_id'))
        batch_op.drop_index(batch_op.f('ix_legal_case_events_account_id'))

    op.drop_table('legal_case_events')
    with op.batch_alter_table('legal_cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_legal_cases_state'))
        batch_op.drop_index(batch_op.f('ix_legal_cases_episode_id'))
        batch_op.drop_index(batch_op.f('ix_legal_cases_account_id'))

    op.drop_table('legal_cases')
    with op.batch_alter_table('card_restrictions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_card_restrictions_episode_id'))
        batch_op.drop_index(batch_op.f('ix_card_restrictions_account_id'))

    op.drop_table('card_restrictions')
    with op.batch_alter_table('bureau_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bureau_reports_period'))
        batch_op.drop_index(batch_op.f('ix_bureau_reports_episode_id'))
        batch_op.drop_index(batch_op.f('ix_bureau_reports_account_id'))

    op.drop_table('bureau_reports')
    with op.batch_alter_table('bureau_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bureau_notices_episode_id'))
        batch_op.drop_index(batch_op.f('ix_bureau_notices_account_id'))

    op.drop_table('bureau_notices')
    with op.batch_alter_table('blacklist_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_blacklist_entries_episode_id'))
        batch_op.drop_index(batch_op.f('ix_blacklist_entries_account_id'))

    op.drop_table('blacklist_entries')
