"""Collector desk: roster, task assignment, SLA queue, account region

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 14:08:54.221762
"""

from alembic import op
import sqlalchemy as sa

import arrears.db.types


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('collectors',
    sa.Column('collector_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('team', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('regions', sa.JSON(), nullable=False),
    sa.Column('daily_capacity', sa.Integer(), nullable=False),
    sa.Column('absent', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('updated_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('collector_id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('collectors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collectors_team'), ['team'], unique=False)

    op.create_table('task_assignments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('collector_id', sa.String(length=64), nullable=True),
    sa.Column('previous_collector_id', sa.String(length=64), nullable=True),
    sa.Column('queue', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('by', sa.String(length=64), nullable=False),
    sa.Column('at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['collector_tasks.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('task_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_assignments_task_id'), ['task_id'], unique=False)

    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('region', sa.String(length=64), nullable=True))

    with op.batch_alter_table('collector_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assigned_to', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('assigned_at', arrears.db.types.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('queue', sa.String(length=16), server_default='collector', nullable=False))
        batch_op.add_column(sa.Column('team', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('sla_due_at', arrears.db.types.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('escalated_at', arrears.db.types.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('region', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('required_role', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('overdue_amount', arrears.db.types.Money(precision=20, scale=4), nullable=True))
        batch_op.add_column(sa.Column('currency', sa.String(length=3), nullable=True))
        batch_op.create_index(batch_op.f('ix_collector_tasks_assigned_to'), ['assigned_to'], unique=False)
        batch_op.create_index(batch_op.f('ix_collector_tasks_queue'), ['queue'], unique=False)
        batch_op.create_foreign_key('fk_collector_tasks_assigned_to', 'collectors', ['assigned_to'], ['collector_id'])



def downgrade() -> None:
    with op.batch_alter_table('collector_tasks', schema=None) as batch_op:
        batch_op.drop_constraint('fk_collector_tasks_assigned_to', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_collector_tasks_queue'))
        batch_op.drop_index(batch_op.f('ix_collector_tasks_assigned_to'))
        batch_op.drop_column('currency')
        batch_op.drop_column('overdue_amount')
        batch_op.drop_column('required_role')
        batch_op.drop_column('region')
        batch_op.drop_column('language')
        batch_op.drop_column('escalated_at')
        batch_op.drop_column('sla_due_at')
        batch_op.drop_column('team')
        batch_op.drop_column('queue')
        batch_op.drop_column('assigned_at')
        batch_op.drop_column('assigned_to')

    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('region')

    with op.batch_alter_table('task_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_assignments_task_id'))

    op.drop_table('task_assignments')
    with op.batch_alter_table('collectors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collectors_team'))

    op.drop_table('collectors')
