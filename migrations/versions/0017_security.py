"""Security: named expiring API tokens, the API request log, the evidence store, legal documents by evidence id

Tokens issued before this revision had no expiry and are not carried over:
issue new ones with `arrears collectors token ID` after upgrading.

Revision ID: 0017
Revises: 0014
Create Date: 2026-12-01 09:00:00
"""

from alembic import op
import sqlalchemy as sa

import arrears.db.types


revision = '0017'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('token_id', sa.String(length=16), nullable=False),
    sa.Column('collector_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', arrears.db.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.String(length=64), nullable=True),
    sa.Column('last_used_at', arrears.db.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('last_used_from', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['collector_id'], ['collectors.collector_id'], name='fk_api_tokens_collector_id'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_id')
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_collector_id'), ['collector_id'], unique=False)

    op.create_table('api_requests',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('collector_id', sa.String(length=64), nullable=True),
    sa.Column('token_id', sa.String(length=16), nullable=True),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=True),
    sa.Column('remote_addr', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('result', sa.Text(), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('api_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_requests_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_api_requests_collector_id'), ['collector_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_api_requests_account_id'), ['account_id'], unique=False)

    op.create_table('evidence_files',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('evidence_id', sa.String(length=67), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('media_type', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('uploaded_by', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('uploaded_at', arrears.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'sha256', name='uq_evidence_files_account_sha256')
    )
    with op.batch_alter_table('evidence_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_files_evidence_id'), ['evidence_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_files_account_id'), ['account_id'], unique=False)

    with op.batch_alter_table('legal_case_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('document_id', sa.String(length=67), nullable=True))

    # Tokens without an expiry go: api_tokens replaces the single never-expiring hash per collector.
    with op.batch_alter_table('collectors', schema=None) as batch_op:
        batch_op.drop_column('token_hash')


def downgrade() -> None:
    with op.batch_alter_table('collectors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint('collectors_token_hash_key', ['token_hash'])

    with op.batch_alter_table('legal_case_events', schema=None) as batch_op:
        batch_op.drop_column('document_id')

    with op.batch_alter_table('evidence_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_files_account_id'))
        batch_op.drop_index(batch_op.f('ix_evidence_files_evidence_id'))
    op.drop_table('evidence_files')

    with op.batch_alter_table('api_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_requests_account_id'))
        batch_op.drop_index(batch_op.f('ix_api_requests_collector_id'))
        batch_op.drop_index(batch_op.f('ix_api_requests_at'))
    op.drop_table('api_requests')

    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_collector_id'))
    op.drop_table('api_tokens')
