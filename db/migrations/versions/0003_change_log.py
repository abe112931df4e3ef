"""change log that the search index follows

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 23:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

_SEQUENCE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        'changes',
        sa.Column('seq', _SEQUENCE, primary_key=True, autoincrement=True),
        sa.Column('document_id', sa.Integer(), nullable=True),
        sa.Column('action', sa.String(length=20), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('seq', name=op.f('pk_changes')),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f('ix_changes_document_id'), 'changes', ['document_id'])
    op.create_index(op.f('ix_changes_at'), 'changes', ['at'])
    op.create_table(
        'change_log_state',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('pruned_through', _SEQUENCE, nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_change_log_state')),
    )
    op.execute("INSERT INTO change_log_state (id, pruned_through) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_table('change_log_state')
    op.drop_index(op.f('ix_changes_at'), table_name='changes')
    op.drop_index(op.f('ix_changes_document_id'), table_name='changes')
    op.drop_table('changes')
