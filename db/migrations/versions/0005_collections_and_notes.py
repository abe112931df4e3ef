"""collections (manual and saved searches), their documents, and notes

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 02:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'collections',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('name_key', sa.String(length=200), nullable=False),
        sa.Column('parent_id', sa.Integer(), nullable=True),
        # The parent's id, or 0 at the top: unique with name_key where a
        # NULL parent would not be (NULLs are distinct in unique constraints).
        sa.Column('parent_key', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('query', sa.Text(), nullable=False),
        sa.Column('sort', sa.String(length=20), nullable=False),
        sa.Column('filters', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['parent_id'], ['collections.id'], name=op.f('fk_collections_parent_id_collections'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_collections')),
        sa.UniqueConstraint('parent_key', 'name_key', name=op.f('uq_collections_parent_key')),
    )
    op.create_index(op.f('ix_collections_parent_id'), 'collections', ['parent_id'])
    op.create_table(
        'collection_documents',
        sa.Column('collection_id', sa.Integer(), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['collection_id'], ['collections.id'],
                                name=op.f('fk_collection_documents_collection_id_collections'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id'],
                                name=op.f('fk_collection_documents_document_id_documents'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('collection_id', 'document_id', name=op.f('pk_collection_documents')),
    )
    op.create_index(op.f('ix_collection_documents_document_id'), 'collection_documents', ['document_id'])
    op.create_table(
        'notes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('modified_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_notes_document_id_documents'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notes')),
    )
    op.create_index(op.f('ix_notes_document_id'), 'notes', ['document_id'])


def downgrade() -> None:
    op.drop_table('notes')
    op.drop_table('collection_documents')
    op.drop_table('collections')
