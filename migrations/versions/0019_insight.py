"""Insight: quality reviews, complaints, champion/challenger assignments and decisions

Revision ID: 0019
Revises: 0014
Create Date: 2026-11-30 20:52:03
"""

from alembic import op
import sqlalchemy as sa

import arrears.db.types


revision = '0019'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('experiment_assignments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('experiment', sa.String(length=64), nullable=False),
    sa.Column('arm', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('point', sa.Integer(), nullable=False),
    sa.Column('traffic_version', sa.Integer(), nullable=False),
    sa.Column('strategy_name', sa.String(length=100), nullable=False),
    sa.Column('strategy_hash', sa.String(length=64), nullable=False),
    sa.Column('assigned_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('experiment', 'account_id', 'due_date', name='uq_experiment_assignments_episode')
    )
    with op.batch_alter_table('experiment_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_experiment_assignments_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_experiment_assignments_experiment'), ['experiment'], unique=False)

    op.create_table('experiment_decisions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('experiment', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('promoted_arm', sa.String(length=32), nullable=False),
    sa.Column('previous_shares', sa.JSON(), nullable=False),
    sa.Column('shares', sa.JSON(), nullable=False),
    sa.Column('decided_by', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('decided_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('experiment', 'version', name='uq_experiment_decisions_version')
    )
    with op.batch_alter_table('experiment_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_experiment_decisions_experiment'), ['experiment'], unique=False)

    op.create_table('complaints',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('complaint_id', sa.String(length=64), nullable=False),
    sa.Column('episode_id', sa.String(length=64), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('collector_id', sa.String(length=64), nullable=True),
    sa.Column('agency_id', sa.String(length=64), nullable=True),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('received_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('deadline_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('hold_id', sa.String(length=64), nullable=True),
    sa.Column('hold_note', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('resolution_note', sa.Text(), nullable=False),
    sa.Column('resolved_by', sa.String(length=64), nullable=True),
    sa.Column('resolved_at', arrears.db.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('handled_in_time', sa.Boolean(), nullable=True),
    sa.Column('recorded_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['episode_id'], ['episodes.episode_id'], name='fk_complaints_episode_id'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'complaint_id', name='uq_complaints_account_complaint')
    )
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaints_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_collector_id'), ['collector_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_episode_id'), ['episode_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_status'), ['status'], unique=False)

    op.create_table('quality_reviews',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('review_key', sa.String(length=250), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('placement_id', sa.Integer(), nullable=True),
    sa.Column('work_ref', sa.String(length=100), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('episode_id', sa.String(length=64), nullable=False),
    sa.Column('collector_id', sa.String(length=64), nullable=True),
    sa.Column('agency_id', sa.String(length=64), nullable=True),
    sa.Column('reviewer_id', sa.String(length=64), nullable=False),
    sa.Column('rubric_name', sa.String(length=100), nullable=False),
    sa.Column('rubric_hash', sa.String(length=64), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('score', arrears.db.types.Money(precision=20, scale=4), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('worked_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('reviewed_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['episode_id'], ['episodes.episode_id'], name='fk_quality_reviews_episode_id'),
    sa.ForeignKeyConstraint(['placement_id'], ['agency_placements.id'], name='fk_quality_reviews_placement_id'),
    sa.ForeignKeyConstraint(['task_id'], ['collector_tasks.id'], name='fk_quality_reviews_task_id'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('review_key')
    )
    with op.batch_alter_table('quality_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quality_reviews_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quality_reviews_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quality_reviews_collector_id'), ['collector_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quality_reviews_episode_id'), ['episode_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quality_reviews_placement_id'), ['placement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quality_reviews_task_id'), ['task_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('quality_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quality_reviews_task_id'))
        batch_op.drop_index(batch_op.f('ix_quality_reviews_placement_id'))
        batch_op.drop_index(batch_op.f('ix_quality_reviews_episode_id'))
        batch_op.drop_index(batch_op.f('ix_quality_reviews_collector_id'))
        batch_op.drop_index(batch_op.f('ix_quality_reviews_agency_id'))
        batch_op.drop_index(batch_op.f('ix_quality_reviews_account_id'))

    op.drop_table('quality_reviews')
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaints_status'))
        batch_op.drop_index(batch_op.f('ix_complaints_episode_id'))
        batch_op.drop_index(batch_op.f('ix_complaints_collector_id'))
        batch_op.drop_index(batch_op.f('ix_complaints_category'))
        batch_op.drop_index(batch_op.f('ix_complaints_agency_id'))
        batch_op.drop_index(batch_op.f('ix_complaints_account_id'))

    op.drop_table('complaints')
    with op.batch_alter_table('experiment_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_experiment_decisions_experiment'))

    op.drop_table('experiment_decisions')
    with op.batch_alter_table('experiment_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_experiment_assignments_experiment'))
        batch_op.drop_index(batch_op.f('ix_experiment_assignments_account_id'))

    op.drop_table('experiment_assignments')
