"""The catalog service keeps the database and the search index consistent."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from finweek_desktop.core.catalog import DocumentFilter, NotFound
from finweek_desktop.core.records import NewDocument
from finweek_desktop.core.search.index import VERSION_FILE
from finweek_desktop.core.startup import open_catalog


def hit_ids(service, query, **options):
    return [h.id for h in service.search(query, limit=None, **options).hits]



@pytest.fixture
def catalog(any_catalog):
    """Every test here that takes the seeded catalog runs on SQLite and on PostgreSQL."""
    return any_catalog


def test_a_saved_document_is_searchable_at_once_and_gone_when_deleted(service):
    doc = service.documents.create_document(
        NewDocument(kind="report", title="Quarterly notes on reinsurance", tags=("insurance",), date="2020-11-20")
    )
    assert doc.id in hit_ids(service, "reinsurance")
    assert doc.id in hit_ids(service, "tag:insurance")

    service.documents.update_document(doc.id, title="Quarterly notes on annuities")
    assert doc.id not in hit_ids(service, "reinsurance")
    assert doc.id in hit_ids(service, "annuities")

    service.documents.delete_document(doc.id)
    assert doc.id not in hit_ids(service, "annuities")
    with pytest.raises(NotFound):
        service.documents.get_document(doc.id)
    assert service.integrity.check().ok


def test_tags_are_unique_ignoring_case_and_counted(service, seeded_id):
    blue = seeded_id("Blue Paper")
    service.tags.add_tag([blue], "Insurance")  # the seed has "insurance"
    names = [t.name for t in service.tags.all()]
    assert names.count("insurance") == 1 and "Insurance" not in names
    counts = {t.name: t.count for t in service.tags.all()}
    assert counts["insurance"] == 2

    service.tags.remove_tag([blue], "INSURANCE")
    assert blue not in hit_ids(service, "tag:insurance")
    assert {t.name: t.count for t in service.tags.all()}["insurance"] == 1


def test_rename_merge_and_delete_tags_update_the_index(service, seeded_id):
    initiative = seeded_id("Digital Alliance")
    service.tags.rename_tag("blockchain", "distributed-ledger")
    assert initiative in hit_ids(service, "tag:distributed-ledger")
    assert hit_ids(service, "tag:blockchain") == []

    service.tags.merge_tags(["distributed-ledger", "fintech"], "digital-technology")
    merged = set(hit_ids(service, "tag:digital-technology"))
    assert initiative in merged and seeded_id("Blue Paper") in merged
    assert "fintech" not in {t.name for t in service.tags.all()}

    service.tags.delete_tag("digital-technology")
    assert hit_ids(service, "tag:digital-technology") == []
    assert service.integrity.check().ok


def test_renaming_onto_an_existing_tag_merges_them(service):
    before = {t.name: t.count for t in service.tags.all()}
    info = service.tags.rename_tag("healthcare", "insurance")
    assert info.name == "insurance"
    # The theme-forums record carried both: the merge does not double-count it.
    assert info.count == before["insurance"]


def test_listing_filters_sort_and_summaries(service, seeded_id):
    sessions = service.documents.list_documents(DocumentFilter(kind="session_record"))
    assert len(sessions) == 5
    tagged = service.documents.list_documents(DocumentFilter(tag="DIGITAL-CURRENCY"))
    assert {d.title for d in tagged} >= {"2020 Digital Currency Blue Paper"}
    by_date = service.documents.list_documents(sort="date")
    assert by_date[0].date == "2020" and by_date[-1].date is None  # undated last
    ids = service.documents.document_ids(sort="title")
    titles = [s.title.lower() for s in service.documents.summaries(ids)]
    assert titles == sorted(titles)
    (blue,) = service.documents.summaries([seeded_id("Blue Paper")])
    assert "01 Think Tank" in blue.organizations
    assert blue.tags == ("digital-currency", "fintech")


def test_bad_input_is_refused_with_a_message_and_changes_nothing(service):
    count = service.documents.count_documents()
    with pytest.raises(ValueError, match="unknown kind"):
        service.documents.create_document(NewDocument(kind="memo", title="x"))
    with pytest.raises(ValueError, match="needs a title"):
        service.documents.create_document(NewDocument(kind="report", title="  "))
    with pytest.raises(ValueError, match="invalid date"):
        service.documents.create_document(NewDocument(kind="report", title="x", date="2020-14"))
    with pytest.raises(NotFound):
        service.documents.update_document(999999, title="y")
    assert service.documents.count_documents() == count


def test_check_reports_and_repairs_differences(service, seeded_id):
    blue = seeded_id("Blue Paper")
    initiative = seeded_id("Digital Alliance")
    # Simulate drift: the index loses one document and holds a stale one.
    service.index.delete([blue])
    with service.engine.begin() as connection:
        connection.execute(
            text("UPDATE documents SET title = 'Changed behind the index' WHERE id = :id"), {"id": initiative}
        )
    report = service.integrity.check()
    assert report.missing_from_index == (blue,)
    assert report.stale_in_index == (initiative,)
    assert not report.ok

    assert service.integrity.repair(report).ok
    assert initiative in hit_ids(service, '"changed behind the index"')


def test_an_interrupted_write_is_reindexed_at_next_start(data_dir):
    catalog = open_catalog(data_dir)
    service = catalog.service
    # Crash between the database commit and the index update: the change
    # log holds the change, the index does not have the document.
    original = service.writer.follower.catch_up
    service.writer.follower.catch_up = lambda **kw: False
    doc = service.documents.create_document(NewDocument(kind="report", title="Written just before the crash"))
    service.writer.follower.catch_up = original
    assert doc.id not in hit_ids(service, "crash")
    catalog.close()

    reopened = open_catalog(data_dir)
    try:
        assert doc.id in hit_ids(reopened.service, "crash")
        assert reopened.service.integrity.check().ok
    finally:
        reopened.close()


def test_corrupt_or_outdated_index_is_rebuilt_from_the_database(data_dir):
    catalog = open_catalog(data_dir)
    count = catalog.service.documents.count_documents()
    index_dir = catalog.paths.index
    catalog.close()

    for segment in index_dir.glob("*.seg"):
        segment.write_bytes(b"garbage")
    for toc in index_dir.glob("*.toc"):
        toc.write_bytes(b"garbage")
    reopened = open_catalog(data_dir)
    assert reopened.index.doc_count() == count
    assert reopened.service.search("blue paper").total >= 1
    reopened.close()

    (index_dir / VERSION_FILE).write_text("0.0")
    reopened = open_catalog(data_dir)
    try:
        assert (index_dir / VERSION_FILE).read_text() != "0.0"
        assert reopened.index.doc_count() == count
    finally:
        reopened.close()


def test_missing_index_is_rebuilt(data_dir):
    import shutil

    catalog = open_catalog(data_dir)
    count = catalog.service.documents.count_documents()
    catalog.close()
    shutil.rmtree(catalog.paths.index)
    reopened = open_catalog(data_dir)
    try:
        assert reopened.index.doc_count() == count
    finally:
        reopened.close()


def test_leftovers_of_an_interrupted_rebuild_are_removed_at_open(data_dir):
    catalog = open_catalog(data_dir)
    index_dir = catalog.paths.index
    catalog.close()
    staging = index_dir.with_name(index_dir.name + ".rebuild")
    staging.mkdir()
    (staging / "half-written.seg").write_bytes(b"x" * 100)

    reopened = open_catalog(data_dir)
    try:
        assert not staging.exists()
        assert reopened.service.integrity.check().ok
    finally:
        reopened.close()


def test_every_list_column_sorts_in_the_database(service, seeded_id):
    rows = service.documents.summaries(service.documents.document_ids(sort="organization"))
    # The organization a row shows first (a publisher before one merely
    # mentioned) is the one it sorts by.
    firsts = [r.organizations[0].casefold() for r in rows if r.organizations]
    assert firsts == sorted(firsts)
    news = next(r for r in rows if r.id == seeded_id("brings new ideas"))
    assert news.organizations[:2] == ("Xinhua News Agency", "Xinhua Silk Road")  # publisher, editor
    assert not any(r.organizations for r in rows[len(firsts):])  # documents without any go last

    rows = service.documents.summaries(service.documents.document_ids(sort="tag"))
    firsts = [r.tags[0].casefold() for r in rows if r.tags]
    assert firsts == sorted(firsts)

    counts = [r.attachment_count for r in service.documents.summaries(service.documents.document_ids(sort="files"))]
    assert counts == sorted(counts, reverse=True) and counts[0] >= 2  # the news article's files
    assert seeded_id("brings new ideas") == service.documents.document_ids(sort="files")[0]
