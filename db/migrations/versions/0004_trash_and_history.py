"""trash, undo history and the files they hold

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'trash',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('title', sa.Text(), nullable=False),
        sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('snapshot', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_trash')),
    )
    op.create_index(op.f('ix_trash_document_id'), 'trash', ['document_id'])
    op.create_index(op.f('ix_trash_deleted_at'), 'trash', ['deleted_at'])
    op.create_table(
        'history',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('author', sa.String(length=200), nullable=False),
        sa.Column('action', sa.String(length=40), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('undo', sa.Text(), nullable=False),
        sa.Column('redo', sa.Text(), nullable=False),
        sa.Column('undone', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_history')),
    )
    op.create_index(op.f('ix_history_author'), 'history', ['author'])
    op.create_table(
        'held_files',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('trash_id', sa.Integer(), nullable=True),
        sa.Column('history_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['trash_id'], ['trash.id'], name=op.f('fk_held_files_trash_id_trash'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['history_id'], ['history.id'], name=op.f('fk_held_files_history_id_history'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_held_files')),
    )
    op.create_index(op.f('ix_held_files_sha256'), 'held_files', ['sha256'])
    op.create_index(op.f('ix_held_files_trash_id'), 'held_files', ['trash_id'])
    op.create_index(op.f('ix_held_files_history_id'), 'held_files', ['history_id'])


def downgrade() -> None:
    op.drop_table('held_files')
    op.drop_table('history')
    op.drop_table('trash')
