"""attachment text and extraction status

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 03:10:38.190535
"""

from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows from 0001 get status "pending": `finweek check --repair` extracts them.
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('text', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('text_status', sa.String(length=20), server_default='pending', nullable=False))
        batch_op.add_column(sa.Column('text_message', sa.Text(), server_default='', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_column('text_message')
        batch_op.drop_column('text_status')
        batch_op.drop_column('text')
