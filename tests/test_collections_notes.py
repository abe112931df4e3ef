"""Collections, saved searches, notes and batch edit in the core: real
catalogs (SQLite and a real PostgreSQL server), real Whoosh indexes."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from finweek_desktop.core.catalog import NotFound
from finweek_desktop.core.changes import ChangeAction
from finweek_desktop.core.models import Change, Collection
from finweek_desktop.core.records import NewDocument
from finweek_desktop.core.startup import open_catalog


def _new(service, title, **fields):
    return service.documents.create_document(NewDocument(kind="report", title=title, **fields)).id


def _log(catalog, after):
    with catalog.engine.connect() as connection:
        rows = connection.execute(select(Change.document_id, Change.action).where(Change.seq > after)).all()
    return [tuple(r) for r in rows]


def _last_seq(catalog):
    with catalog.engine.connect() as connection:
        return connection.scalar(select(Change.seq).order_by(Change.seq.desc()).limit(1)) or 0


def test_collect_creates_nested_collections_logs_members_and_undoes_as_one_step(empty_catalog):
    service = empty_catalog.service
    a, b = _new(service, "Alpha levy report"), _new(service, "Bravo levy report")
    seq = _last_seq(empty_catalog)

    done = service.collections.collect([a, b], "Hengqin/Tax policy")

    assert done.documents == (a, b) and done.changes.changed == {a, b} and done.changes.collections
    assert (a, "changed") in _log(empty_catalog, seq) and (None, ChangeAction.COLLECTIONS.value) in _log(
        empty_catalog, seq
    )
    listed = {c.path: c for c in service.collections.all()}
    assert list(listed) == ["Hengqin", "Hengqin/Tax policy"]
    assert listed["Hengqin"].count == 0 and listed["Hengqin/Tax policy"].count == 2
    assert listed["Hengqin/Tax policy"].parent_id == listed["Hengqin"].id
    # collecting again adds nothing; the lookup ignores case
    assert service.collections.collect([a], "hengqin/TAX POLICY").documents == ()
    assert service.collections.document_ids(listed["Hengqin/Tax policy"].id) == [b, a]  # newest first (by id)

    service.history.undo()  # the collect created both collections: undo takes them away again
    assert service.collections.all() == []
    service.history.redo()
    assert [c.path for c in service.collections.all()] == ["Hengqin", "Hengqin/Tax policy"]
    assert service.collections.find("Hengqin/Tax policy").count == 2

    removed = service.collections.uncollect([a], "Hengqin/Tax policy")
    assert removed.documents == (a,) and service.collections.find("Hengqin/Tax policy").count == 1
    service.history.undo()
    assert service.collections.find("Hengqin/Tax policy").count == 2


def test_names_are_unique_among_siblings_even_at_the_top(empty_catalog):
    service = empty_catalog.service
    service.collections.create("Reading list")
    with pytest.raises(ValueError, match="exists already"):
        service.collections.create("reading LIST")
    service.collections.create("Hengqin/Reading list")  # the same name elsewhere is fine
    with pytest.raises(ValueError, match="cannot contain"):
        service.collections.rename(service.collections.find("Reading list").id, "a/b")
    # the database itself refuses a second top-level row of the same name (no NULL loophole)
    with pytest.raises(IntegrityError), empty_catalog.engine.begin() as connection:
        connection.execute(
            insert(Collection).values(
                name="Reading list", name_key="reading list", parent_key=0, kind="manual", query="", sort="relevance",
                filters="{}", created_at=Collection.created_at.default.arg(None),
            )
        )


def test_rename_and_delete_with_nested_collections_undo(empty_catalog):
    service = empty_catalog.service
    a = _new(service, "Alpha levy report")
    service.collections.collect([a], "Hengqin/Tax")
    top = service.collections.find("Hengqin")
    renamed = service.collections.rename(top.id, "Hengqin zone")
    assert [c.path for c in service.collections.all()] == ["Hengqin zone", "Hengqin zone/Tax"]
    assert renamed.name == "Hengqin zone"

    service.collections.delete(top.id)
    assert service.collections.all() == []
    assert service.documents.get_document(a).title == "Alpha levy report"  # the document stays
    service.history.undo()
    assert [(c.path, c.count) for c in service.collections.all()] == [("Hengqin zone", 0), ("Hengqin zone/Tax", 1)]
    service.history.undo()
    assert [c.path for c in service.collections.all()] == ["Hengqin", "Hengqin/Tax"]
    with pytest.raises(NotFound):
        service.collections.find("Macao")


def test_a_saved_search_keeps_query_sort_and_filters_and_reruns_live(empty_catalog):
    service = empty_catalog.service
    _new(service, "Cross-border insurance report", tags=("insurance",))
    service.documents.create_document(NewDocument(kind="news_article", title="Insurance news", tags=("insurance",)))
    saved = service.collections.save_search(
        "Insurance reports", "insurance", sort="title", kinds=["report"], tags=["insurance"]
    )
    assert (saved.kind, saved.query, saved.sort, saved.kinds, saved.tags, saved.count) == (
        "saved", "insurance", "title", ("report",), ("insurance",), 1)

    later = _new(service, "Another insurance report", tags=("insurance",))  # matches: the count follows
    assert service.collections.find("Insurance reports").count == 2
    results = service.collections.run(saved.id)
    assert [h.title for h in results.hits] == ["Another insurance report", "Cross-border insurance report"]
    assert service.collections.document_ids(saved.id)[0] == later
    with pytest.raises(ValueError, match="saved search"):
        service.collections.collect([later], "Insurance reports")

    # saving again under the same name replaces the query; undo puts it back
    service.collections.save_search("Insurance reports", "cross-border")
    assert service.collections.find("Insurance reports").count == 1
    service.history.undo()
    assert service.collections.find("Insurance reports").query == "insurance"


def test_notes_are_searchable_say_so_in_the_snippet_and_undo(empty_catalog):
    service = empty_catalog.service
    doc = _new(service, "Blue paper on digital currency", summary="Payments across the bay area.")
    seq = _last_seq(empty_catalog)

    note = service.notes.add(doc, "Compare with the **kiwifruit** pilot in Macao.")
    assert (doc, "changed") in _log(empty_catalog, seq)
    [hit] = service.search("kiwifruit").hits
    assert hit.id == doc and hit.snippet.startswith("Note: ") and "<b>kiwifruit</b>" in hit.snippet
    # a hit elsewhere is not called a note
    [hit] = service.search("payments").hits
    assert not hit.snippet.startswith("Note:")

    edited = service.notes.edit(note.id, "Compare with the persimmon pilot.")
    assert edited.created_at == note.created_at and edited.modified_at >= note.modified_at
    assert service.search("kiwifruit").hits == () and len(service.search("persimmon").hits) == 1
    service.history.undo()
    assert [n.body for n in service.notes.of_document(doc)] == [note.body]
    assert len(service.search("kiwifruit").hits) == 1

    service.notes.delete(note.id)
    assert service.notes.of_document(doc) == [] and service.search("kiwifruit").hits == ()
    service.history.undo()
    assert [n.id for n in service.notes.of_document(doc)] == [note.id]
    assert service.integrity.check().ok
    with pytest.raises(ValueError):
        service.notes.add(doc, "   ")


def test_trash_and_restore_keep_notes_and_memberships(data_dir):
    catalog = open_catalog(data_dir, seed=False)
    try:
        service = catalog.service
        doc = _new(service, "Field notes from Hengqin")
        service.notes.add(doc, "First visit: the **tamarind** market.")
        service.collections.collect([doc], "Trips")
        service.documents.delete_document(doc)
        assert service.collections.find("Trips").count == 0 and service.search("tamarind").hits == ()
        [entry] = service.trash.entries()
        service.trash.restore(entry.id)
        assert service.collections.find("Trips").count == 1
        assert [n.body for n in service.notes.of_document(doc)] == ["First visit: the **tamarind** market."]
        assert [h.id for h in service.search("tamarind").hits] == [doc]
        assert service.integrity.check().ok
    finally:
        catalog.close()


def test_batch_edit_is_one_write_and_one_undo_step(empty_catalog):
    service = empty_catalog.service
    ids = [_new(service, f"Draft {n}", date="2020") for n in range(3)]
    steps = len(service.history.steps())
    seq = _last_seq(empty_catalog)

    result = service.batch.edit(ids, kind="blue_paper", date="2021-11", add_organizations=[("Hengqin Bank", "author")])

    assert set(result.documents) == set(ids) and result.changes.changed == set(ids)
    assert len(service.history.steps()) == steps + 1
    assert {doc for doc, _ in _log(empty_catalog, seq) if doc is not None} == set(ids)  # (None: a new name)
    for doc_id in ids:
        detail = service.documents.get_document(doc_id)
        assert (detail.kind, detail.date) == ("blue_paper", "2021-11")
        assert [(o.name, o.role) for o in detail.organizations] == [("Hengqin Bank", "author")]
    # linking again in the same role changes nothing
    assert service.batch.edit(ids, add_organizations=[("Hengqin Bank", "author")]).documents == ()

    undone = service.history.undo()
    assert undone.description == "Edit 3 documents"
    for doc_id in ids:
        detail = service.documents.get_document(doc_id)
        assert (detail.kind, detail.date, detail.organizations) == ("report", "2020", ())
    with pytest.raises(ValueError, match="nothing to change"):
        service.batch.edit(ids)
    with pytest.raises(NotFound):  # nothing is written when one id is missing
        service.batch.edit([*ids, 9999], kind="report")


def test_migration_and_sibling_uniqueness_on_postgresql(tmp_path, postgres_url):
    catalog = open_catalog(tmp_path / "desk", database_url=postgres_url, seed=False)
    try:
        service = catalog.service
        doc = _new(service, "Shared report")
        service.collections.collect([doc], "Team/Reading")
        service.notes.add(doc, "Shared **mangosteen** note")
        assert [h.id for h in service.search("mangosteen").hits] == [doc]
        with pytest.raises(ValueError, match="exists already"):
            service.collections.create("team")
        with pytest.raises(IntegrityError), catalog.engine.begin() as connection:
            connection.execute(
                insert(Collection).values(
                    name="Team", name_key="team", parent_key=0, kind="manual", query="", sort="relevance",
                    filters="{}", created_at=Collection.created_at.default.arg(None),
                )
            )
        service.documents.delete_document(doc)
        service.history.undo()
        assert service.collections.find("Team/Reading").count == 1
        assert len(service.notes.of_document(doc)) == 1
    finally:
        catalog.close()


def test_another_process_renaming_a_collection_is_heard_here(data_dir):
    """The app and the CLI on one folder: a change to collections alone (no
    document touched) still reaches the other's sidebar."""
    app, cli = open_catalog(data_dir, seed=False), open_catalog(data_dir, seed=False)
    try:
        doc = _new(app.service, "Shared report")
        app.service.collections.collect([doc], "Reading")
        app.service.writer.hear_others()
        cli.service.collections.rename(cli.service.collections.find("Reading").id, "Reading list")
        changes = app.service.writer.hear_others()
        assert changes.collections and not changes.documents
        assert [c.path for c in app.service.collections.all()] == ["Reading list"]
    finally:
        cli.close()
        app.close()
