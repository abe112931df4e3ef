"""embeddings: passages of documents as vectors, for search by meaning

Revision ID: 0008
Revises: 0004
Create Date: 2026-12-02 02:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

_SEQUENCE = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'embeddings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('passage_no', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=20), nullable=False),
        sa.Column('start', sa.Integer(), nullable=False),
        sa.Column('end', sa.Integer(), nullable=False),
        sa.Column('model', sa.String(length=100), nullable=False),
        sa.Column('model_version', sa.String(length=40), nullable=False),
        sa.Column('vector', sa.LargeBinary(), nullable=False),
        sa.Column('scale', sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_embeddings_document_id_documents'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_embeddings')),
        sa.UniqueConstraint('document_id', 'passage_no', name=op.f('uq_embeddings_document_id')),
    )
    op.create_index(op.f('ix_embeddings_document_id'), 'embeddings', ['document_id'])
    op.create_table(
        'embedding_state',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('model', sa.String(length=100), nullable=False),
        sa.Column('model_version', sa.String(length=40), nullable=False),
        sa.Column('position', sa.Text(), nullable=True),
        sa.Column('generation', _SEQUENCE, nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_embedding_state')),
    )
    op.execute("INSERT INTO embedding_state (id, model, model_version, generation) VALUES (1, '', '', 0)")


def downgrade() -> None:
    op.drop_table('embedding_state')
    op.drop_index(op.f('ix_embeddings_document_id'), table_name='embeddings')
    op.drop_table('embeddings')
