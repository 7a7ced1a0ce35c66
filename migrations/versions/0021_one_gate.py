"""One contact gate: collectors' calls and visits as worked, the policies tasks were opened under,
medium-wide opt-outs and consents with a time window, the episode's clock

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30 21:00:00

Two new tables (collector_contacts, compliance_policies) and nullable or defaulted columns on
consents, collector_tasks and episodes: rows written before it read as they did (an address-level
consent, a task gated by the configured strategy, an episode whose clock is asked of the workflow).
"""

from alembic import op
import sqlalchemy as sa

import arrears.db.types


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('compliance_policies',
    sa.Column('policy_hash', sa.String(length=64), nullable=False),
    sa.Column('preset', sa.String(length=32), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('created_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('policy_hash')
    )
    op.create_table('collector_contacts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('episode_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('collector_id', sa.String(length=64), nullable=True),
    sa.Column('started_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('dialled', sa.String(length=500), nullable=False),
    sa.Column('entered', sa.String(length=16), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=True),
    sa.Column('violation_rule', sa.String(length=64), nullable=True),
    sa.Column('violation_detail', sa.Text(), nullable=False),
    sa.Column('recorded_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decision_id'], ['contact_decisions.id'], name='fk_collector_contacts_decision_id'),
    sa.ForeignKeyConstraint(['episode_id'], ['episodes.episode_id'], name='fk_collector_contacts_episode_id'),
    sa.ForeignKeyConstraint(['task_id'], ['collector_tasks.id'], name='fk_collector_contacts_task_id'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key'),
    sa.UniqueConstraint('task_id')
    )
    with op.batch_alter_table('collector_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collector_contacts_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_collector_contacts_episode_id'), ['episode_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_collector_contacts_violation_rule'), ['violation_rule'], unique=False)

    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scope', sa.String(length=8), server_default='address', nullable=False))
        batch_op.add_column(sa.Column('valid_from', arrears.db.types.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('valid_until', arrears.db.types.UtcDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('collector_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('policy_hash', sa.String(length=64), nullable=True))

    with op.batch_alter_table('episodes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('clock_anchor_real', arrears.db.types.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('clock_anchor_virtual', arrears.db.types.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('day_seconds', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('policy_hash', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('episodes', schema=None) as batch_op:
        batch_op.drop_column('policy_hash')
        batch_op.drop_column('day_seconds')
        batch_op.drop_column('clock_anchor_virtual')
        batch_op.drop_column('clock_anchor_real')

    with op.batch_alter_table('collector_tasks', schema=None) as batch_op:
        batch_op.drop_column('policy_hash')

    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_column('valid_until')
        batch_op.drop_column('valid_from')
        batch_op.drop_column('scope')

    with op.batch_alter_table('collector_contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collector_contacts_violation_rule'))
        batch_op.drop_index(batch_op.f('ix_collector_contacts_episode_id'))
        batch_op.drop_index(batch_op.f('ix_collector_contacts_account_id'))

    op.drop_table('collector_contacts')
    op.drop_table('compliance_policies')
