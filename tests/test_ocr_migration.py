"""Migration 0007: scans a catalog stored as "no text" join the pending-OCR queue."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from finweek_desktop.core.database import alembic_config, make_engine, sqlite_url, upgrade_to_head


def test_old_scans_need_ocr_and_text_keeps_its_source(tmp_path):
    engine = make_engine(sqlite_url(tmp_path / "old.sqlite3"))
    command.upgrade(alembic_config(engine), "0004")
    rows = [
        (1, "photo.png", "image/png", "", "no_text", "an image has no text to extract (no OCR)"),
        (2, "scan.pdf", "application/pdf", "", "no_text", "the file contains no text (a scan needs OCR)"),
        (3, "notes.txt", "text/plain", "Hengqin", "ok", ""),
        (4, "nul.txt", "text/plain", "", "no_text", "the file contains no text (only control characters such as NUL bytes)"),
    ]
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO documents (id, kind, title, summary, notes, source, created_at, modified_at) "
                                "VALUES (1, 'report', 'Old', '', '', '', '2020-01-01', '2020-01-01')"))
        for i, name, mime, body, status, message in rows:
            connection.execute(
                text("INSERT INTO attachments (id, document_id, sha256, original_name, size, mime_type, added_at, "
                     "text, text_status, text_message) VALUES (:i, 1, :sha, :name, 3, :mime, '2020-01-01', :body, "
                     ":status, :message)"),
                {"i": i, "sha": str(i) * 64, "name": name, "mime": mime, "body": body, "status": status,
                 "message": message},
            )
    upgrade_to_head(engine)
    with engine.connect() as connection:
        got = connection.execute(text("SELECT id, text_status, text_source FROM attachments ORDER BY id")).all()
        pages = connection.execute(text("SELECT count(*) FROM attachment_pages")).scalar()
    assert [tuple(r) for r in got] == [(1, "needs_ocr", ""), (2, "needs_ocr", ""), (3, "ok", "file"), (4, "no_text", "")]
    assert pages == 0
    engine.dispose()
