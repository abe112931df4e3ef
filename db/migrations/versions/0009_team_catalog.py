"""team catalog: settings, document versions and stable keys, shared file content

Revision ID: 0009
Revises: 0004
Create Date: 2026-12-02 02:20:00
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # One row per setting of the catalog itself (its identity, whether the seed was loaded).
    op.create_table(
        'catalog_settings',
        sa.Column('key', sa.String(length=100), nullable=False),
        sa.Column('value', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_catalog_settings')),
    )
    # Optimistic locking (version) and a key that survives a copy to another catalog (uuid).
    with op.batch_alter_table('documents') as batch:
        batch.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
        batch.add_column(sa.Column('uuid', sa.String(length=36), nullable=True))
    documents = sa.table('documents', sa.column('id', sa.Integer()), sa.column('uuid', sa.String()))
    connection = op.get_bind()
    for (doc_id,) in connection.execute(sa.select(documents.c.id)).all():
        connection.execute(documents.update().where(documents.c.id == doc_id).values(uuid=str(uuid.uuid4())))
    op.create_index(op.f('ix_documents_uuid'), 'documents', ['uuid'], unique=True)
    # A team catalog's file content, content-addressed (the SHA-256 of the local store) and chunked.
    op.create_table(
        'file_blobs',
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('chunks', sa.Integer(), nullable=False),
        sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('sha256', name=op.f('pk_file_blobs')),
    )
    op.create_table(
        'file_chunks',
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['sha256'], ['file_blobs.sha256'], name=op.f('fk_file_chunks_sha256_file_blobs'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('sha256', 'n', name=op.f('pk_file_chunks')),
    )


def downgrade() -> None:
    op.drop_table('file_chunks')
    op.drop_table('file_blobs')
    op.drop_index(op.f('ix_documents_uuid'), table_name='documents')
    with op.batch_alter_table('documents') as batch:
        batch.drop_column('uuid')
        batch.drop_column('version')
    op.drop_table('catalog_settings')
