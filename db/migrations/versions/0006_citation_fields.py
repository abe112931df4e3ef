"""the fields a citation needs: persons as authors and editors, place of
publication, URL, DOI, ISBN, pages, report number

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-02 02:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('documents') as batch:
        batch.add_column(sa.Column('place_published', sa.String(length=300), nullable=True))
        batch.add_column(sa.Column('url', sa.Text(), nullable=True))
        batch.add_column(sa.Column('doi', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('isbn', sa.String(length=40), nullable=True))
        batch.add_column(sa.Column('pages', sa.String(length=40), nullable=True))
        batch.add_column(sa.Column('report_number', sa.String(length=100), nullable=True))
    op.create_index(op.f('ix_documents_doi'), 'documents', ['doi'])
    op.create_table(
        'document_persons',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('family', sa.String(length=200), nullable=False),
        sa.Column('given', sa.String(length=200), nullable=False),
        sa.Column('literal', sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ['document_id'],
            ['documents.id'],
            name=op.f('fk_document_persons_document_id_documents'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_document_persons')),
    )
    op.create_index(op.f('ix_document_persons_document_id'), 'document_persons', ['document_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_document_persons_document_id'), table_name='document_persons')
    op.drop_table('document_persons')
    op.drop_index(op.f('ix_documents_doi'), table_name='documents')
    with op.batch_alter_table('documents') as batch:
        for name in ('report_number', 'pages', 'isbn', 'doi', 'url', 'place_published'):
            batch.drop_column(name)
