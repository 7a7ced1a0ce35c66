"""Initial system of record: accounts, episodes, contacts, outbox, tasks,
account actions, payments and stage events.

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 12:07:41.660893
"""

from alembic import op
import sqlalchemy as sa

import arrears.db.types


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('accounts',
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('customer_name', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('billing_address', sa.String(length=500), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('risk_segment', sa.String(length=8), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('contacts', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('account_id')
    )
    op.create_table('outbox',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('topic', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('dispatched_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key')
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_topic'), ['topic'], unique=False)

    op.create_table('episodes',
    sa.Column('episode_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('workflow_id', sa.String(length=100), nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('dpd_at_start', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('opening_overdue', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.Column('opening_balance', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.Column('risk_segment', sa.String(length=8), nullable=False),
    sa.Column('strategy_name', sa.String(length=100), nullable=False),
    sa.Column('strategy_hash', sa.String(length=64), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('outcome_reason', sa.Text(), nullable=True),
    sa.Column('closed_by', sa.String(length=64), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closing_dpd', sa.Integer(), nullable=True),
    sa.Column('closing_overdue', arrears.db.types.Money(precision=20, scale=4), nullable=True),
    sa.Column('closing_balance', arrears.db.types.Money(precision=20, scale=4), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.account_id'], ),
    sa.PrimaryKeyConstraint('episode_id')
    )
    with op.batch_alter_table('episodes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_episodes_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_episodes_outcome'), ['outcome'], unique=False)

    op.create_table('account_actions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('episode_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('step_id', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('dpd', sa.Integer(), nullable=False),
    sa.Column('executed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('overdue_amount', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.Column('total_balance', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.ForeignKeyConstraint(['episode_id'], ['episodes.episode_id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key')
    )
    with op.batch_alter_table('account_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_actions_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_actions_episode_id'), ['episode_id'], unique=False)

    op.create_table('collector_tasks',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('episode_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('step_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('dpd', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['episode_id'], ['episodes.episode_id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key')
    )
    with op.batch_alter_table('collector_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collector_tasks_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_collector_tasks_episode_id'), ['episode_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_collector_tasks_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_collector_tasks_status'), ['status'], unique=False)

    op.create_table('contact_attempts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('episode_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('step_id', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('template', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('recipient', sa.String(length=500), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=True),
    sa.Column('rendered_text', sa.Text(), nullable=False),
    sa.Column('dpd', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('catch_up', sa.Boolean(), nullable=False),
    sa.Column('scheduled_for', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('result', sa.String(length=32), nullable=False),
    sa.Column('adapter', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['episode_id'], ['episodes.episode_id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key')
    )
    with op.batch_alter_table('contact_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_attempts_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_attempts_episode_id'), ['episode_id'], unique=False)

    op.create_table('payments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('payment_id', sa.String(length=64), nullable=False),
    sa.Column('episode_id', sa.String(length=64), nullable=False),
    sa.Column('amount', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('dpd', sa.Integer(), nullable=False),
    sa.Column('overdue_after', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.Column('total_after', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['episode_id'], ['episodes.episode_id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'payment_id', name='uq_payments_account_payment')
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payments_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payments_episode_id'), ['episode_id'], unique=False)

    op.create_table('stage_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('episode_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('previous_stage', sa.String(length=16), nullable=True),
    sa.Column('dpd', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['episode_id'], ['episodes.episode_id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key')
    )
    with op.batch_alter_table('stage_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stage_events_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stage_events_episode_id'), ['episode_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('stage_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stage_events_episode_id'))
        batch_op.drop_index(batch_op.f('ix_stage_events_account_id'))

    op.drop_table('stage_events')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payments_episode_id'))
        batch_op.drop_index(batch_op.f('ix_payments_account_id'))

    op.drop_table('payments')
    with op.batch_alter_table('contact_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_attempts_episode_id'))
        batch_op.drop_index(batch_op.f('ix_contact_attempts_account_id'))

    op.drop_table('contact_attempts')
    with op.batch_alter_table('collector_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collector_tasks_status'))
        batch_op.drop_index(batch_op.f('ix_collector_tasks_kind'))
        batch_op.drop_index(batch_op.f('ix_collector_tasks_episode_id'))
        batch_op.drop_index(batch_op.f('ix_collector_tasks_account_id'))

    op.drop_table('collector_tasks')
    with op.batch_alter_table('account_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_actions_episode_id'))
        batch_op.drop_index(batch_op.f('ix_account_actions_account_id'))

    op.drop_table('account_actions')
    with op.batch_alter_table('episodes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_episodes_outcome'))
        batch_op.drop_index(batch_op.f('ix_episodes_account_id'))

    op.drop_table('episodes')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_topic'))
        batch_op.drop_index(batch_op.f('ix_outbox_account_id'))

    op.drop_table('outbox')
    op.drop_table('accounts')
