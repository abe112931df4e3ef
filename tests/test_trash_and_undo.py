"""Trash and undo live in the core: a deleted document waits in the trash
with its files, across restarts; undo and redo walk the same steps from the
CLI as from the window. Real catalogs and files in tmp_path."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import update

from finweek_desktop.core.models import TrashItem
from finweek_desktop.core.records import NewDocument
from finweek_desktop.core.startup import open_catalog


def _stored(data_dir):
    return {p.name for p in (data_dir / "attachments" / "objects").rglob("*") if p.is_file()}


def _add_with_file(service, tmp_path, title="Field notes", text="cross-border insurance notes from Hengqin"):
    note = tmp_path / f"{title}.txt"
    note.write_text(text)
    doc = service.documents.create_document(NewDocument(kind="report", title=title, tags=("insurance",),
                                              organizations=(("Xinhua News Agency", "author"),)))
    [attachment] = service.attachments.attach_files(doc.id, [note])
    return service.documents.get_document(doc.id), attachment



@pytest.fixture
def catalog(any_catalog):
    """Every test here that takes the seeded catalog runs on SQLite and on PostgreSQL."""
    return any_catalog


def test_a_deleted_document_waits_in_the_trash_with_its_files_across_a_restart(data_dir, tmp_path):
    catalog = open_catalog(data_dir)
    before, attachment = _add_with_file(catalog.service, tmp_path)
    catalog.service.documents.delete_document(before.id)
    assert before.id not in [d.id for d in catalog.service.documents.list_documents()]
    assert attachment.sha256 in _stored(data_dir)  # the file stays, held by the trash
    assert catalog.service.search("insurance notes").hits == ()
    assert catalog.service.integrity.check().ok
    catalog.close()

    catalog = open_catalog(data_dir)  # a restart
    try:
        service = catalog.service
        [entry] = service.trash.entries()
        assert (entry.document_id, entry.title, entry.files) == (before.id, "Field notes", 1)
        changes = service.trash.restore(entry.id)
        assert changes.created == {before.id}
        after = service.documents.get_document(before.id)
        assert (after.title, after.tags, after.organizations, after.modified_at) == (
            before.title, before.tags, before.organizations, before.modified_at)
        assert [(a.id, a.sha256) for a in after.attachments] == [(attachment.id, attachment.sha256)]
        assert service.attachments.attachment(attachment.id).text_status == "ok"
        assert [h.id for h in service.search("insurance notes").hits] == [before.id]
        assert service.trash.entries() == []
        assert service.integrity.check().ok
    finally:
        catalog.close()


def test_emptying_the_trash_releases_the_files(catalog, data_dir, tmp_path):
    service = catalog.service
    doc, attachment = _add_with_file(service, tmp_path)
    service.documents.delete_document(doc.id)
    assert service.trash.empty() == 1
    assert attachment.sha256 not in _stored(data_dir)
    assert service.integrity.check().ok


def test_the_trash_is_purged_after_its_retention_at_open(data_dir, tmp_path, monkeypatch):
    catalog = open_catalog(data_dir)
    old, _ = _add_with_file(catalog.service, tmp_path, "Old notes", "old text")
    recent, _ = _add_with_file(catalog.service, tmp_path, "Recent notes", "recent text")
    catalog.service.documents.delete_documents([old.id, recent.id])
    with catalog.engine.begin() as connection:
        connection.execute(update(TrashItem).where(TrashItem.document_id == old.id)
                           .values(deleted_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=8)))
    catalog.close()
    monkeypatch.setenv("FINWEEK_TRASH_DAYS", "7")
    catalog = open_catalog(data_dir)
    try:
        assert [e.document_id for e in catalog.service.trash.entries()] == [recent.id]
        assert catalog.service.integrity.check().ok
    finally:
        catalog.close()


def test_trash_from_the_command_line(finweek, tmp_path):
    note = tmp_path / "minutes.txt"
    note.write_text("Forum minutes on green bonds")
    finweek("add", "--kind", "report", "--title", "Minutes", str(note))
    code, out, _ = finweek("delete", "10")
    assert code == 0 and "to the trash" in out
    code, out, _ = finweek("trash", "--json")
    data = json.loads(out)
    assert [(i["document_id"], i["title"], i["files"]) for i in data["items"]] == [(10, "Minutes", 1)]
    assert data["retention_days"] == 30
    code, out, _ = finweek("trash", "restore", "10")
    assert code == 0 and "Restored [10] Minutes" in out
    assert "[10] Minutes" in finweek("search", "green bonds")[1]
    finweek("delete", "10")
    code, out, _ = finweek("trash", "empty")
    assert code == 0 and "Deleted 1 document" in out
    assert finweek("trash")[1].startswith("The trash is empty.")
    code, out, err = finweek("trash", "restore", "10")  # nothing to restore: one line on stderr
    assert (code, out) == (1, "") and err.strip() == (
        "finweek: error: document 10 is not in the trash (`finweek trash` lists what it holds)")
    assert finweek("check")[0] == 0


def test_undo_and_redo_of_each_kind_of_change_from_the_command_line(finweek, tmp_path):
    def title(doc_id):
        return json.loads(finweek("show", str(doc_id), "--json")[1])["title"]

    def tags_of(doc_id):
        return sorted(t["name"] if isinstance(t, dict) else t for t in json.loads(finweek("show", str(doc_id), "--json")[1])["tags"])

    def files_of(doc_id):
        return [a["original_name"] for a in json.loads(finweek("attachments", str(doc_id), "--json")[1])]

    note = tmp_path / "minutes.txt"
    note.write_text("Forum minutes on green bonds")
    finweek("add", "--kind", "report", "--title", "Minutes", "--tag", "alpha", str(note))

    # An edit.
    finweek("edit", "10", "--title", "Minutes, revised")
    assert finweek("undo")[1].startswith("Undone: Edit")
    assert title(10) == "Minutes"
    assert finweek("redo")[0] == 0 and title(10) == "Minutes, revised"
    # A tag, then a merge.
    finweek("tag", "10", "beta")
    finweek("tags", "--merge", "alpha", "beta", "--into", "gamma")
    assert tags_of(10) == ["gamma"]
    assert "Merge" in finweek("undo")[1]
    assert tags_of(10) == ["alpha", "beta"]
    assert "Tag" in finweek("undo")[1]
    assert tags_of(10) == ["alpha"]
    finweek("redo")
    finweek("redo")
    assert tags_of(10) == ["gamma"]
    # A detach: the file comes back with its text.
    [attachment_id] = [a["id"] for a in json.loads(finweek("attachments", "10", "--json")[1])]
    finweek("detach", "10", str(attachment_id))
    assert files_of(10) == []
    assert "Detach" in finweek("undo")[1]
    assert files_of(10) == ["minutes.txt"]
    assert "[10] Minutes, revised" in finweek("search", "green bonds")[1]
    # A delete, undone, redone and undone again.
    finweek("delete", "10")
    assert "Delete" in finweek("undo")[1] and title(10) == "Minutes, revised"
    finweek("redo")
    assert finweek("show", "10")[0] == 1
    finweek("undo")
    assert title(10) == "Minutes, revised" and files_of(10) == ["minutes.txt"]
    assert finweek("check")[0] == 0


def test_a_new_change_ends_the_redo_and_nothing_left_says_so(finweek):
    finweek("edit", "3", "--title", "First")
    finweek("undo")
    finweek("edit", "3", "--title", "Second")
    code, _, err = finweek("redo")
    assert code == 1 and "nothing to redo" in err
    finweek("undo")
    while finweek("undo")[0] == 0:
        pass
    code, _, err = finweek("undo")
    assert code == 1 and "nothing to undo" in err
