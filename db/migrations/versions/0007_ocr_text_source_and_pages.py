"""OCR: where an attachment's text came from, and its text page by page

Revision ID: 0007
Revises: 0004
Create Date: 2026-12-02 02:30:00

``attachments.text_source``: "file" (extracted from the file), "ocr",
"file+ocr" (a PDF whose pages without a text layer were OCR'd), or "".
New ``text_status`` values: "needs_ocr" and "ocr_failed". Images and PDFs
without a text layer that 0002-0004 marked "no_text" become "needs_ocr":
the pending-OCR queue is simply the attachments in that status.

``attachment_pages``: the text of each page (1-based) of a paged file, with
the OCR word boxes of a scanned page (JSON, fractions of the page), so a
search hit knows its page and the viewer can highlight the words.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

_IMAGES = ('image/jpeg', 'image/png', 'image/tiff', 'image/webp', 'image/gif', 'image/bmp')


def upgrade() -> None:
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('text_source', sa.String(length=20), server_default='', nullable=False))
    attachments = sa.table(
        'attachments',
        sa.column('text_status', sa.String),
        sa.column('text_source', sa.String),
        sa.column('text_message', sa.Text),
        sa.column('mime_type', sa.String),
    )
    op.execute(attachments.update().where(attachments.c.text_status == 'ok').values(text_source='file'))
    scans = sa.and_(
        attachments.c.text_status == 'no_text',
        sa.or_(
            attachments.c.mime_type.in_(_IMAGES),
            sa.and_(
                attachments.c.mime_type == 'application/pdf',
                attachments.c.text_message.like('%a scan needs OCR%'),
            ),
        ),
    )
    op.execute(attachments.update().where(scans).values(text_status='needs_ocr', text_message='the file needs OCR'))
    op.create_table(
        'attachment_pages',
        sa.Column('attachment_id', sa.Integer(), nullable=False),
        sa.Column('page', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), server_default='', nullable=False),
        sa.Column('boxes', sa.Text(), server_default='', nullable=False),
        sa.ForeignKeyConstraint(
            ['attachment_id'], ['attachments.id'], name=op.f('fk_attachment_pages_attachment_id_attachments'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('attachment_id', 'page', name=op.f('pk_attachment_pages')),
    )


def downgrade() -> None:
    op.drop_table('attachment_pages')
    attachments = sa.table('attachments', sa.column('text_status', sa.String))
    op.execute(attachments.update().where(attachments.c.text_status.in_(('needs_ocr', 'ocr_failed')))
               .values(text_status='no_text'))
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_column('text_source')
