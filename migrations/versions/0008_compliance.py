"""Compliance: gate decisions, holds, consents and opt-outs, the effective-collection register, email_invalid

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 14:59:36.812035
"""

from alembic import op
import sqlalchemy as sa

import arrears.db.types


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('consents',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('address', sa.String(length=254), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('recorded_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consents_account_id'), ['account_id'], unique=False)

    op.create_table('contact_decisions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('idempotency_key', sa.String(length=250), nullable=False),
    sa.Column('episode_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('step_id', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('proposed_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('verdict', sa.String(length=16), nullable=False),
    sa.Column('rule', sa.String(length=64), nullable=False),
    sa.Column('until', arrears.db.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('inputs', sa.JSON(), nullable=False),
    sa.Column('preset', sa.String(length=32), nullable=False),
    sa.Column('decided_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['episode_id'], ['episodes.episode_id'], name='fk_contact_decisions_episode_id'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key')
    )
    with op.batch_alter_table('contact_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_decisions_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_decisions_episode_id'), ['episode_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_decisions_verdict'), ['verdict'], unique=False)

    op.create_table('effective_collections',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('episode_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('occurred_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('source_ref', sa.String(length=100), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['episode_id'], ['episodes.episode_id'], name='fk_effective_collections_episode_id'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key')
    )
    with op.batch_alter_table('effective_collections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_effective_collections_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_effective_collections_episode_id'), ['episode_id'], unique=False)

    op.create_table('holds',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('hold_id', sa.String(length=64), nullable=False),
    sa.Column('episode_id', sa.String(length=64), nullable=False),
    sa.Column('hold_type', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('evidence_ref', sa.String(length=500), nullable=False),
    sa.Column('placed_by', sa.String(length=64), nullable=False),
    sa.Column('placed_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', arrears.db.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('resolution', sa.String(length=32), nullable=True),
    sa.Column('released_by', sa.String(length=64), nullable=True),
    sa.Column('released_at', arrears.db.types.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['episode_id'], ['episodes.episode_id'], name='fk_holds_episode_id'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'hold_id', name='uq_holds_account_hold')
    )
    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_holds_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_holds_episode_id'), ['episode_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_holds_hold_type'), ['hold_type'], unique=False)
        batch_op.create_index(batch_op.f('ix_holds_status'), ['status'], unique=False)

    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_invalid', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('email_invalid')

    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_holds_status'))
        batch_op.drop_index(batch_op.f('ix_holds_hold_type'))
        batch_op.drop_index(batch_op.f('ix_holds_episode_id'))
        batch_op.drop_index(batch_op.f('ix_holds_account_id'))

    op.drop_table('holds')
    with op.batch_alter_table('effective_collections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_effective_collections_episode_id'))
        batch_op.drop_index(batch_op.f('ix_effective_collections_account_id'))

    op.drop_table('effective_collections')
    with op.batch_alter_table('contact_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_decisions_verdict'))
        batch_op.drop_index(batch_op.f('ix_contact_decisions_episode_id'))
        batch_op.drop_index(batch_op.f('ix_contact_decisions_account_id'))

    op.drop_table('contact_decisions')
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consents_account_id'))

    op.drop_table('consents')
