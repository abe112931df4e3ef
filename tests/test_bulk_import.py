"""Bulk import (core/catalog/imports.py): the path the app's import and the benchmark share."""

from __future__ import annotations

import pytest

from finweek_desktop.core.catalog.imports import ImportItem
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
    report = service.imports.import_documents(_items(25), batch_size=10)

    assert report.count == 25
    assert service.documents.count_documents() == 25
    assert empty_catalog.index.doc_count() == 25
    detail = service.documents.get_document(report.ids[7])
    assert detail.title == "Bulk document 7"
    assert {t.name for t in detail.tags} == {"bulk-tag", "Group 3"}
    assert [o.name for o in detail.organizations] == ["Bulk Research Institute"]
    # One tag and one organization, however many batches used them.
    assert sorted(t.name for t in service.tags.all()) == ["Group 0", "Group 1", "Group 2", "Group 3", "bulk-tag"]
    assert len(service.reference.organizations()) == 1
    # Attachment text lands in the index's content field.
    assert [h.id for h in service.search("xylophonics12").hits] == [report.ids[12]]
    assert [h.id for h in service.search("content:quarterly", limit=None).hits].__len__() == 25
    assert service.writer.follower.pending() == 0
    assert service.integrity.check().ok


def test_import_links_existing_organizations_and_places_by_name_or_alias(catalog):
    service = catalog.service
    org = next(o for o in service.reference.organizations() if o.aliases)
    place = service.reference.places()[0]["name"]
    new = NewDocument(kind="report", title="Linked", organizations=((org.aliases[0].upper(), "author"),), places=(place,))
    report = service.imports.import_documents([new])
    detail = service.documents.get_document(report.ids[0])
    assert [o.id for o in detail.organizations] == [org.id]
    assert detail.places == (place,)
    assert service.integrity.check().ok


def test_documents_without_content_index_like_the_service(empty_catalog):
    service = empty_catalog.service
    report = service.imports.import_documents([item.document for item in _items(5)])
    assert service.integrity.check().ok  # same fingerprints as the service's own indexing
    assert len(service.search("cross-border").hits) == 5
    assert report.count == 5


def test_two_writer_processes(empty_catalog):
    service = empty_catalog.service
    report = service.imports.import_documents(_items(40), batch_size=15, procs=2)
    assert empty_catalog.index.doc_count() == 40
    assert [h.id for h in service.search("xylophonics39").hits] == [report.ids[39]]


def test_a_failure_mid_import_is_recovered_at_next_start(empty_catalog):
    service = empty_catalog.service
    items = _items(12)
    bad = ImportItem(NewDocument(kind="no-such-kind", title="Broken"))
    with pytest.raises(ValueError):
        service.imports.import_documents([*items, bad], batch_size=6)
    # The first two batches were committed; the index writer was cancelled.
    assert service.documents.count_documents() == 12
    assert service.writer.follower.pending() == 13  # logged, not yet applied: 12 documents, 1 new organization
    assert empty_catalog.index.doc_count() == 0
    assert service.writer.catch_up()
    assert empty_catalog.index.doc_count() == 12
    assert len(service.search("cross-border", limit=None).hits) == 12


def test_content_is_stored_as_an_attachment_and_survives_reindex(empty_catalog):
    service = empty_catalog.service
    report = service.imports.import_documents(_items(12), batch_size=5)
    assert service.integrity.check().ok  # the index entries are the service's own
    attachments = service.attachments.of(report.ids[3])
    assert [(a.original_name, a.mime_type, a.text_status) for a in attachments] == [
        ("Bulk document 3.txt", "text/plain", "ok")
    ]
    stored = attachments[0].path
    assert stored.read_text(encoding="utf-8") == _items(1, start=3)[0].content
    assert service.attachments.attachment_text(attachments[0].id) == stored.read_text(encoding="utf-8")

    service.integrity.reindex()
    assert [h.id for h in service.search("xylophonics3").hits] == [report.ids[3]]
    assert service.integrity.check().ok
    assert service.store.temp_files() == []


def test_files_are_attached_with_duplicates_reported(empty_catalog, tmp_path):
    service = empty_catalog.service
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "alpha.md").write_text("# Alpha heading\n\nquokkafiles alpha text", encoding="utf-8")
    (folder / "beta.txt").write_text("beta quokkafiles", encoding="utf-8")
    (folder / "copy-of-alpha.md").write_bytes((folder / "alpha.md").read_bytes())
    held = service.attachments.create_document_with_files(NewDocument(kind="report", title="Holder"), [folder / "beta.txt"])
    items = [ImportItem(NewDocument(kind="report", title="", tags=("imported",)), files=(folder / n,))
             for n in ("alpha.md", "beta.txt", "copy-of-alpha.md", "missing.pdf")]
    report = service.imports.import_documents(items, sandbox=False)

    assert report.count == 1
    assert service.documents.get_document(report.ids[0]).title == "Alpha heading"
    assert sorted(d.name for d in report.duplicates) == ["beta.txt", "copy-of-alpha.md"]
    by_name = {d.name: d for d in report.duplicates}
    assert [h.document_id for h in by_name["beta.txt"].holders] == [held.id]
    assert [h.document_id for h in by_name["copy-of-alpha.md"].holders] == [report.ids[0]]
    assert [name for name, _ in report.failed] == ["missing.pdf"]
    assert {h.id for h in service.search("quokkafiles").hits} == {held.id, report.ids[0]}
    assert service.integrity.check().ok


def test_cancel_imports_what_was_prepared_and_stops(empty_catalog):
    service = empty_catalog.service
    seen = []
    report = service.imports.import_documents(_items(10), batch_size=4, on_item=lambda n, _item: seen.append(n),
                              cancelled=lambda: len(seen) >= 6)
    assert report.cancelled and report.count == 6
    assert service.documents.count_documents() == 6
    assert service.integrity.check().ok


_CRASHING_IMPORT = """
import os, sys
from finweek_desktop.core.attachments.store import AttachmentStore
from finweek_desktop.core.catalog.imports import ImportItem
from finweek_desktop.core.records import NewDocument
from finweek_desktop.core.startup import open_catalog

commit_many = AttachmentStore.commit_many
calls = []

def crash_after_the_third_batch_is_in_the_store(self, staged):
    commit_many(self, staged)
    calls.append(len(staged))
    if len(calls) == 3:
        os._exit(17)  # files in place, rows not committed, the index writer never commits

AttachmentStore.commit_many = crash_after_the_third_batch_is_in_the_store
catalog = open_catalog(sys.argv[1], seed=False)
items = [ImportItem(NewDocument(kind="report", title=f"Crash {i}"), content=f"crashword{i} text")
         for i in range(20)]
catalog.service.imports.import_documents(items, batch_size=5)
"""


def test_a_crash_mid_import_is_finished_by_the_next_start(tmp_path):
    import subprocess
    import sys

    from finweek_desktop.core.startup import open_catalog

    data = tmp_path / "crash"
    proc = subprocess.run([sys.executable, "-c", _CRASHING_IMPORT, str(data)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 17, proc.stderr

    catalog = open_catalog(data, seed=False)  # the index catches up with the change log
    try:
        service = catalog.service
        assert service.documents.count_documents() == 10
        assert catalog.index.doc_count() == 10
        assert service.writer.follower.pending() == 0
        assert [h.title for h in service.search("crashword7").hits] == ["Crash 7"]
        report = service.integrity.check()
        assert report.missing_files == ()  # never a row without its file
        assert not (report.missing_from_index or report.stale_in_index or report.orphans_in_index)
        # The third batch's files, made live before the crash, were removed at this start.
        assert report.ok and report.unreferenced_files == ()
        assert service.store.count_files() == 10  # one per committed document
        service.integrity.reindex()
        assert service.integrity.check().ok
        assert [h.title for h in service.search("crashword2").hits] == ["Crash 2"]
    finally:
        catalog.close()


def test_a_file_that_cannot_be_moved_into_the_store_leaves_no_stray_files(empty_catalog, monkeypatch):
    import os

    from finweek_desktop.core.attachments import store as store_module

    service = empty_catalog.service
    moves = []
    real_replace = os.replace

    def failing_third_move(src, dst, *args, **kwargs):
        if "objects" in str(dst):
            moves.append(dst)
            if len(moves) == 3:
                raise OSError(28, "No space left on device")
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(store_module.os, "replace", failing_third_move)
    with pytest.raises(OSError, match="No space left"):
        service.imports.import_documents(_items(5), batch_size=5)
    monkeypatch.setattr(store_module.os, "replace", real_replace)

    assert len(moves) == 3  # two files were moved in before the failure
    assert service.documents.count_documents() == 0
    assert list(service.store.hashes()) == []
    assert service.integrity.check().ok
