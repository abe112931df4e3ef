"""Migration 0002 keeps attachment rows of an older catalog and marks their text pending."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from finweek_desktop.core.database import alembic_config, make_engine, sqlite_url, upgrade_to_head


def test_rows_from_0001_survive_and_await_extraction(tmp_path):
    engine = make_engine(sqlite_url(tmp_path / "old.sqlite3"))
    command.upgrade(alembic_config(engine), "0001")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO documents (id, kind, title, summary, notes, source, created_at, modified_at) "
                                "VALUES (1, 'report', 'Old', '', '', '', '2020-01-01', '2020-01-01')"))
        connection.execute(text("INSERT INTO attachments (id, document_id, sha256, original_name, size, mime_type, added_at) "
                                f"VALUES (7, 1, '{'a' * 64}', 'old.pdf', 3, 'application/pdf', '2020-01-01')"))
    upgrade_to_head(engine)
    with engine.connect() as connection:
        row = connection.execute(text("SELECT original_name, text, text_status, text_message FROM attachments")).one()
    assert tuple(row) == ("old.pdf", "", "pending", "")
    engine.dispose()
