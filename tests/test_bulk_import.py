"""Bulk import (core/bulk.py): the path the app's import and the benchmark share."""

from __future__ import annotations

import pytest

from finweek_desktop.core.bulk import ImportItem, import_documents
from finweek_desktop.core.records import NewDocument


def _items(n: int, start: int = 0) -> list[ImportItem]:
    return [
        ImportItem(
            NewDocument(
                kind=("report", "blue_paper", "news_article")[i % 3],
                title=f"Bulk document {i}",
                date=f"2021-{i % 12 + 1:02d}",
                language="en",
                summary=f"Summary number {i} about cross-border payments",
                tags=("bulk-tag", f"Group {i % 4}"),
                organizations=(("Bulk Research Institute", "publisher"),),
            ),
            content=f"Attachment text of document {i}: quarterly xylophonics{i} figures.",
        )
        for i in range(start, start + n)
    ]


def test_import_creates_documents_tags_organizations_and_indexes_content(empty_catalog):
    service = empty_catalog.service
    report = import_documents(service, _items(25), batch_size=10)

    assert report.count == 25
    assert service.count_documents() == 25
    assert empty_catalog.index.doc_count() == 25
    detail = service.get_document(report.ids[7])
    assert detail.title == "Bulk document 7"
    assert {t.name for t in detail.tags} == {"bulk-tag", "Group 3"}
    assert [o.name for o in detail.organizations] == ["Bulk Research Institute"]
    # One tag and one organization, however many batches used them.
    assert sorted(t.name for t in service.tags()) == ["Group 0", "Group 1", "Group 2", "Group 3", "bulk-tag"]
    assert len(service.organizations()) == 1
    # Attachment text lands in the index's content field.
    assert [h.id for h in service.search("xylophonics12").hits] == [report.ids[12]]
    assert [h.id for h in service.search("content:quarterly", limit=None).hits].__len__() == 25
    assert service.journal.pending() == set()


def test_import_links_existing_organizations_and_places_by_name_or_alias(catalog):
    service = catalog.service
    org = next(o for o in service.organizations() if o.aliases)
    place = service.places()[0]["name"]
    new = NewDocument(kind="report", title="Linked", organizations=((org.aliases[0].upper(), "author"),), places=(place,))
    report = import_documents(service, [new])
    detail = service.get_document(report.ids[0])
    assert [o.id for o in detail.organizations] == [org.id]
    assert detail.places == (place,)
    assert service.check().ok


def test_documents_without_content_index_like_the_service(empty_catalog):
    service = empty_catalog.service
    report = import_documents(service, [item.document for item in _items(5)])
    assert service.check().ok  # same fingerprints as the service's own indexing
    assert len(service.search("cross-border").hits) == 5
    assert report.count == 5


def test_two_writer_processes(empty_catalog):
    service = empty_catalog.service
    report = import_documents(service, _items(40), batch_size=15, procs=2)
    assert empty_catalog.index.doc_count() == 40
    assert [h.id for h in service.search("xylophonics39").hits] == [report.ids[39]]


def test_a_failure_mid_import_is_recovered_at_next_start(empty_catalog):
    service = empty_catalog.service
    items = _items(12)
    bad = ImportItem(NewDocument(kind="no-such-kind", title="Broken"))
    with pytest.raises(ValueError):
        import_documents(service, [*items, bad], batch_size=6)
    # The first two batches were committed; the index writer was cancelled.
    assert service.count_documents() == 12
    assert len(service.journal.pending()) == 12
    assert empty_catalog.index.doc_count() == 0
    assert service.recover() == 12
    assert empty_catalog.index.doc_count() == 12
    assert len(service.search("cross-border", limit=None).hits) == 12
