"""`finweek --database-url URL list`, FINWEEK_DATABASE_URL, `finweek team push --to URL`, `finweek team status`."""

from __future__ import annotations

import json

from finweek_desktop.core.records import NewDocument
from finweek_desktop.core.startup import open_catalog


def test_list_on_a_team_catalog_by_flag_and_by_environment(finweek, postgres_url, monkeypatch):
    code, out, err = finweek("--database-url", postgres_url, "list", "--json")
    assert code == 0, err
    seeded = len(json.loads(out))
    assert seeded > 0
    monkeypatch.setenv("FINWEEK_DATABASE_URL", postgres_url)
    code, out, _ = finweek("team", "status", "--json")
    status = json.loads(out)
    assert status["team"] is True and status["schema_revision"] == status["schema_head"]
    assert status["index_lag"] == 0 and status["cached_files"] >= 0 and "server" in status


def test_push_copies_a_local_catalog_once_with_its_files(finweek, tmp_path, postgres_url, data_dir):
    local = open_catalog(data_dir)  # the desktop's own catalog, with the seed
    notes = tmp_path / "notes.txt"
    notes.write_text("Field notes from the Hengqin fintech forum", encoding="utf-8")
    mine = local.service.attachments.create_document_with_files(
        NewDocument(kind="report", title="My forum notes", tags=("forum",)), [notes]
    )
    forum = local.service.reference.sessions()[0]
    local.service.documents.update_document(mine.id, session_id=forum.id)
    local.close()

    code, out, err = finweek("team", "push", "--to", postgres_url, "--json")
    assert code == 0, err
    first = json.loads(out)
    assert first["added"] == 1 and first["files_sent"] == 1  # the seed's documents were there already
    code, out, err = finweek("team", "push", "--to", postgres_url, "--json")
    assert json.loads(out) == {"added": 0, "skipped": first["added"] + first["skipped"], "files_sent": 0}

    colleague = open_catalog(tmp_path / "colleague", database_url=postgres_url)
    try:
        (hit,) = [h for h in colleague.service.search("field notes fintech forum").hits if h.title == mine.title]
        detail = colleague.service.documents.get_document(hit.id)
        assert detail.title == mine.title and [t.name for t in detail.tags] == ["forum"]
        assert detail.session == forum.name
        (attachment,) = colleague.service.attachments.of(hit.id)
        assert colleague.service.attachments.attachment(attachment.id).path.read_bytes() == notes.read_bytes()
        assert colleague.service.integrity.check().ok
    finally:
        colleague.close()


def test_status_of_ones_own_catalog(finweek):
    code, out, _ = finweek("team", "status")
    assert code == 0 and "Your own catalog" in out and "search index: up to date" in out


def test_push_needs_a_postgresql_url(finweek, tmp_path):
    code, _, err = finweek("team", "push", "--to", str(tmp_path / "x.sqlite3"))
    assert code == 1 and err.count("\n") == 1 and "PostgreSQL URL" in err
