"""Every write of the core returns what it changed (issue 11): the record it
returns carries the write's ChangeSet, the same one the listeners hear."""

from __future__ import annotations

from finweek_desktop.core.catalog.imports import ImportItem
from finweek_desktop.core.records import NewDocument


def _heard(service):
    heard = []
    service.writer.listeners.append(heard.append)
    return heard


def test_document_writes_return_their_change_sets(service):
    heard = _heard(service)
    created = service.documents.create_document(NewDocument(kind="report", title="Returned changes", tags=("a1",)))
    assert created.changes.created == {created.id} and created.changes.tags
    assert created.changes == heard[-1]

    edited = service.documents.update_document(created.id, title="Returned changes, edited")
    assert edited.changes.changed == {created.id} and not edited.changes.created
    assert edited.changes == heard[-1]

    linked = service.documents.set_organizations(created.id, [("Hengqin Research Desk", "author")])
    assert linked.changes.organizations and linked.changes.changed == {created.id}

    [deleted] = service.documents.delete_documents([created.id])
    assert deleted.changes.deleted == {created.id}
    assert "changes" not in deleted.to_json()  # the JSON a record gives stays what it was


def test_tag_writes_return_their_change_sets(service):
    first, second = (d.id for d in service.documents.list_documents()[:2])
    added = service.tags.add_tag([first, second], "to-read")
    assert added.changes.changed == {first, second} and added.changes.tags
    removed = service.tags.remove_tag([second], "to-read")
    assert removed.changed == {second}
    renamed = service.tags.rename_tag("to-read", "reading")
    assert renamed.name == "reading" and renamed.changes.changed == {first}
    coloured = service.tags.set_tag_color("reading", "#2a7ab0")
    assert coloured.changes.tags and not coloured.changes.documents
    gone = service.tags.delete_tag("reading")
    assert gone.changes.changed == {first}


def test_attach_detach_and_import_return_their_change_sets(service, tmp_path):
    doc = service.documents.create_document(NewDocument(kind="report", title="With a file"))
    note = tmp_path / "note.txt"
    note.write_text("A note on cross-border insurance.", encoding="utf-8")
    [attached] = service.attachments.attach_files(doc.id, [note])
    assert attached.changes.changed == {doc.id} and doc.id in attached.changes.attachments
    detached = service.attachments.detach(doc.id, attached.id)
    assert detached.changes.changed == {doc.id}

    other = tmp_path / "other.txt"
    other.write_text("Another file, another document.", encoding="utf-8")
    created = service.attachments.create_document_with_files(NewDocument(kind="report", title=""), [other])
    assert created.changes.created == {created.id}

    report = service.imports.import_documents([ImportItem(NewDocument(kind="report", title=f"Imported {n}"))
                                               for n in range(3)], batch_size=2)
    assert report.changes.created == set(report.ids) and len(report.ids) == 3


def test_alias_writes_return_their_change_sets(service):
    org = service.reference.organizations()[0]
    info = service.reference.add_organization_alias(org.name, "An alias for the test")
    assert "An alias for the test" in info.aliases and info.changes.organizations
    place = service.reference.add_place_alias("Macao", "Aomen")
    assert "Aomen" in place.aliases and place.changes.organizations


def test_a_merge_undo_redo_and_trash_restore_return_their_change_sets(service):
    heard = _heard(service)
    first, second = (d.id for d in service.documents.list_documents()[:2])
    service.tags.add_tag([first], "merge-a")
    service.tags.add_tag([second], "merge-b")
    merged = service.tags.merge_tags(["merge-a", "merge-b"], "merged")
    assert merged.name == "merged" and merged.changes.changed == {first, second} and merged.changes.tags
    assert merged.changes == heard[-1]
    undone = service.history.undo()
    assert undone.changes.changed == {first, second} and undone.changes.tags and undone.changes == heard[-1]
    redone = service.history.redo()
    assert redone.changes.changed == {first, second} and redone.changes == heard[-1]
    service.documents.delete_document(first)
    [entry] = service.trash.entries()
    restored = service.trash.restore(entry.id)
    assert restored.created == {first} and restored == heard[-1]
