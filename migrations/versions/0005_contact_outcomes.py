"""Contact outcomes of call and visit tasks; a wrong number marks the phone invalid.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 13:45:05.792062
"""

from alembic import op
import sqlalchemy as sa

import arrears.db.types


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('contact_outcomes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('episode_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('reason_for_delinquency', sa.String(length=32), nullable=True),
    sa.Column('duration_seconds', sa.Integer(), nullable=False),
    sa.Column('collector_id', sa.String(length=64), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('callback_at', arrears.db.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('visit', sa.JSON(), nullable=True),
    sa.Column('recorded_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['episode_id'], ['episodes.episode_id'], ),
    sa.ForeignKeyConstraint(['task_id'], ['collector_tasks.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('task_id')
    )
    with op.batch_alter_table('contact_outcomes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_outcomes_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_outcomes_episode_id'), ['episode_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_outcomes_outcome'), ['outcome'], unique=False)

    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone_invalid', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('phone_invalid')

    with op.batch_alter_table('contact_outcomes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_outcomes_outcome'))
        batch_op.drop_index(batch_op.f('ix_contact_outcomes_episode_id'))
        batch_op.drop_index(batch_op.f('ix_contact_outcomes_account_id'))

    op.drop_table('contact_outcomes')
