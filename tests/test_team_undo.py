"""Undo, redo and restoring from the trash on a team catalog, while a
colleague's desktop edits the same documents: never a silent overwrite, the
same "changed by someone else meanwhile" as an edit (with both versions),
and nothing lost. Two services on one PostgreSQL catalog, each its own author."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from finweek_desktop.core.catalog import ChangedMeanwhile, NotFound
from finweek_desktop.core.models import Document
from finweek_desktop.core.records import NewDocument
from finweek_desktop.core.startup import open_catalog


@pytest.fixture
def team(tmp_path, postgres_url):
    a = open_catalog(tmp_path / "a", database_url=postgres_url, seed=False)
    b = open_catalog(tmp_path / "b", database_url=postgres_url, seed=False)
    a.service.history.author = "alice@desk-a"  # two desktops, each undoing only its own changes
    b.service.history.author = "bob@desk-b"
    yield a, b
    b.close()
    a.close()


def _title(catalog, doc_id):
    return catalog.service.documents.get_document(doc_id).title


def test_undo_after_a_colleagues_edit_says_so_and_overwrites_nothing(team):
    a, b = team
    doc = a.service.documents.create_document(NewDocument(kind="report", title="Cross-border wealth connect"))
    a.service.documents.update_document(doc.id, title="Cross-border Wealth Connect, 2024")
    made = a.service.documents.get_document(doc.id).version
    b.service.documents.update_document(doc.id, title="Cross-border Wealth Connect (final)")
    now = b.service.documents.get_document(doc.id).version

    with pytest.raises(ChangedMeanwhile) as caught:
        a.service.history.undo()
    conflict = caught.value
    assert conflict.doc_id == doc.id and (conflict.your_version, conflict.their_version) == (made, now)
    assert conflict.yours == {"title": "Cross-border wealth connect"}  # what the undo would have put back
    assert conflict.theirs == {"title": "Cross-border Wealth Connect (final)"}
    assert "changed by someone else meanwhile" in str(conflict) and "nothing was undone" in str(conflict)
    assert _title(a, doc.id) == "Cross-border Wealth Connect (final)"  # the colleague's edit stands
    step = a.service.history.next_undo()
    assert step is not None and step.description.startswith("Edit")  # still there, to undo once resolved
    # B's own undo is B's own business: it puts back A's title, as B's last change left it.
    b.service.history.undo()
    assert _title(a, doc.id) == "Cross-border Wealth Connect, 2024"
    a.service.history.undo()  # now nothing of anyone's is in the way
    assert _title(b, doc.id) == "Cross-border wealth connect"


def test_redo_after_a_colleagues_edit_says_so(team):
    a, b = team
    doc = a.service.documents.create_document(NewDocument(kind="report", title="Offshore RMB bonds"))
    a.service.documents.update_document(doc.id, title="Offshore RMB bonds in Macao")
    a.service.history.undo()
    b.service.documents.update_document(doc.id, title="Offshore RMB bonds: the Macao market")
    with pytest.raises(ChangedMeanwhile) as caught:
        a.service.history.redo()
    assert caught.value.yours == {"title": "Offshore RMB bonds in Macao"}
    assert caught.value.theirs == {"title": "Offshore RMB bonds: the Macao market"}
    assert _title(a, doc.id) == "Offshore RMB bonds: the Macao market"


def test_redoing_a_delete_over_a_colleagues_edit_says_so(team):
    """A deletes, undoes it, B edits the document back in the catalog, A
    redoes the delete: the colleague's fresh edit is not trashed unsaid."""
    a, b = team
    doc = a.service.documents.create_document(NewDocument(kind="report", title="Macao bond market notes"))
    a.service.documents.delete_document(doc.id)
    a.service.history.undo()  # back from the trash
    b.service.documents.update_document(doc.id, title="Macao bond market notes, revised")
    with pytest.raises(ChangedMeanwhile) as caught:
        a.service.history.redo()
    assert caught.value.doc_id == doc.id and caught.value.yours == {"document": "moved to the trash"}
    assert "nothing was undone or redone" in str(caught.value)
    assert _title(a, doc.id) == "Macao bond market notes, revised"  # still in the catalog
    assert a.service.history.next_redo() is not None  # the redo waits, to be done on purpose
    # Without an edit meanwhile, redo deletes again, and undo restores again.
    other = a.service.documents.create_document(NewDocument(kind="report", title="Hengqin fund notes"))
    a.service.documents.delete_document(other.id)
    a.service.history.undo()
    a.service.history.redo()
    with pytest.raises(NotFound):
        b.service.documents.get_document(other.id)
    a.service.history.undo()
    assert _title(b, other.id) == "Hengqin fund notes"


def test_undoing_an_import_over_a_colleagues_edit_says_so(team):
    a, b = team
    docs = [a.service.documents.create_document(NewDocument(kind="report", title=f"Imported {n}")).id for n in (1, 2)]
    a.service.history.record_added(docs, "Import 2 documents")
    b.service.documents.update_document(docs[1], summary="Read and annotated by a colleague.")
    with pytest.raises(ChangedMeanwhile) as caught:
        a.service.history.undo()
    assert caught.value.doc_id == docs[1]
    assert {_title(b, d) for d in docs} == {"Imported 1", "Imported 2"}  # neither trashed


def test_an_edit_of_other_fields_is_no_conflict(team):
    a, b = team
    doc = a.service.documents.create_document(NewDocument(kind="report", title="Hengqin tax incentives"))
    a.service.documents.update_document(doc.id, title="Hengqin tax incentives, 2025")
    b.service.documents.update_document(doc.id, summary="Corporate income tax at 15 per cent.")
    a.service.history.undo()  # puts back the title only; the colleague's summary stays
    detail = b.service.documents.get_document(doc.id)
    assert detail.title == "Hengqin tax incentives" and detail.summary == "Corporate income tax at 15 per cent."


def test_undoing_a_tag_does_not_take_it_from_a_colleagues_document(team):
    a, b = team
    one = a.service.documents.create_document(NewDocument(kind="report", title="Green finance taxonomy"))
    two = b.service.documents.create_document(NewDocument(kind="report", title="Transition bonds"))
    a.service.tags.add_tag([one.id], "sustainable")
    b.service.tags.add_tag([two.id], "sustainable")  # the same tag, on another document
    with pytest.raises(ChangedMeanwhile) as caught:
        a.service.history.undo()  # would delete the tag A created, with B's use of it
    assert caught.value.doc_id == two.id and caught.value.theirs == {"tags": "sustainable"}
    for doc_id in (one.id, two.id):
        assert [t.name for t in b.service.documents.get_document(doc_id).tags] == ["sustainable"]


def test_restoring_what_a_colleague_restored_meanwhile(team):
    a, b = team
    doc = a.service.documents.create_document(NewDocument(kind="report", title="Macao bond market review"))
    a.service.documents.delete_document(doc.id)
    (entry,) = b.service.trash.entries()
    b.service.trash.restore(entry.id)  # B puts it back ...
    b.service.documents.update_document(doc.id, subtitle="Annotated by B")  # ... and edits it
    with pytest.raises(NotFound, match="restored or emptied from the trash meanwhile"):
        a.service.history.undo()  # A's undo of the delete
    with pytest.raises(NotFound, match="restored or emptied from the trash meanwhile"):
        a.service.trash.restore(entry.id)
    detail = a.service.documents.get_document(doc.id)
    assert detail.subtitle == "Annotated by B"  # B's edit kept, the document there once
    with a.engine.connect() as connection:
        assert connection.scalar(select(func.count()).where(Document.title == "Macao bond market review")) == 1


def test_two_desktops_restoring_the_same_document_at_once(team):
    a, b = team
    doc = a.service.documents.create_document(NewDocument(kind="report", title="Nansha financial opening"))
    a.service.documents.delete_document(doc.id)
    (entry,) = a.service.trash.entries()
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def restore(i, catalog):
        barrier.wait()
        try:
            results[i] = catalog.service.trash.restore(entry.id)
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=restore, args=(i, c)) for i, c in enumerate((a, b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    failures = [r for r in results if isinstance(r, Exception)]
    assert len(failures) == 1 and isinstance(failures[0], NotFound), results
    assert "meanwhile" in str(failures[0])
    assert a.service.documents.get_document(doc.id).title == "Nansha financial opening"
    assert a.service.trash.entries() == []


def test_the_cli_says_changed_meanwhile_on_undo(finweek, data_dir, tmp_path, postgres_url):
    mine = open_catalog(data_dir, database_url=postgres_url, seed=False)  # this desktop: the CLI's author
    colleague = open_catalog(tmp_path / "colleague", database_url=postgres_url, seed=False)
    colleague.service.history.author = "bob@desk-b"
    try:
        doc = mine.service.documents.create_document(NewDocument(kind="report", title="Hengqin pilot zone"))
        mine.service.documents.update_document(doc.id, title="Hengqin cooperation zone")
        colleague.service.documents.update_document(doc.id, title="Guangdong-Macao in-depth cooperation zone")
    finally:
        colleague.close()
        mine.close()
    code, out, err = finweek("--database-url", postgres_url, "undo")
    assert code == 1 and "Traceback" not in err
    assert "changed by someone else meanwhile" in err and "nothing was undone" in err
    assert "Guangdong-Macao in-depth cooperation zone" in err and "Hengqin pilot zone" in err
    code, out, err = finweek("--database-url", postgres_url, "show", str(doc.id), "--json")
    assert code == 0 and "Guangdong-Macao in-depth cooperation zone" in out


def test_undoing_authors_or_organizations_over_a_colleagues_change(team):
    from finweek_desktop.core.records import PersonName

    a, b = team
    doc = a.service.documents.create_document(NewDocument(kind="report", title="Macao fund management"))
    a.service.documents.set_persons(doc.id, [PersonName(family="Ho", given="Iat Seng")])
    b.service.documents.set_persons(doc.id, [PersonName(family="Ho", given="Iat Seng", role="editor")])
    with pytest.raises(ChangedMeanwhile) as caught:
        a.service.history.undo()  # would remove the person B made an editor
    assert "editor" in caught.value.theirs["persons"] and caught.value.yours == {"persons": "(none)"}
    assert [p.role for p in a.service.documents.get_document(doc.id).persons] == ["editor"]

    a.service.documents.set_organizations(doc.id, [("Macao Monetary Authority", "publisher")])
    b.service.documents.set_organizations(doc.id, [("Macao Monetary Authority", "author")])
    with pytest.raises(ChangedMeanwhile) as caught:
        a.service.history.undo()
    # both versions named as the user knows them, not by row id
    assert caught.value.theirs == {"organizations": "Macao Monetary Authority (author)"}
    assert caught.value.yours == {"organizations": "(none)"}
    assert [o.role for o in a.service.documents.get_document(doc.id).organizations] == ["author"]
