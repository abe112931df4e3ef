"""The attachment store through the catalog service: real files, real SQLite,
real index. Covers attach/detach, de-duplication, and crash leftovers that
`check` must report and `repair` must fix."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

import pytest
from test_attachment_samples import pdf_bytes, write

from finweek_desktop.core import changelog
from finweek_desktop.core.attachments.records import AlreadyAttached, DuplicateAttachment
from finweek_desktop.core.attachments.store import AttachmentStore
from finweek_desktop.core.catalog import NotFound
from finweek_desktop.core.records import NewDocument


@pytest.fixture
def doc_id(service):
    return service.documents.create_document(NewDocument(kind="report", title="Working notes")).id


def stored_files(catalog):
    return sorted(p for p in (catalog.paths.attachments / "objects").rglob("*") if p.is_file())


def test_store_copies_hashes_and_commits_by_rename(tmp_path):
    store = AttachmentStore(tmp_path / "store")
    source = write(tmp_path / "a.txt", "same bytes")
    with store.stage(source) as staged:
        assert staged.temp.exists() and not store.exists(staged.sha256)
        assert staged.commit() is True
    assert store.path_for(staged.sha256).read_bytes() == b"same bytes"
    with store.stage(write(tmp_path / "b.txt", "same bytes")) as again:
        assert again.commit() is False  # stored once
    assert list(store.hashes()) == [staged.sha256]
    assert store.temp_files() == []


def test_leaving_a_stage_without_commit_removes_the_copy(tmp_path):
    store = AttachmentStore(tmp_path / "store")
    with store.stage(write(tmp_path / "a.txt", "x")):
        pass
    assert store.temp_files() == [] and list(store.hashes()) == []


def test_attach_keeps_name_size_type_and_text(catalog, service, doc_id, tmp_path):
    source = write(tmp_path / "in" / "Minutes.md", "# Minutes\n\nInsurance between Hengqin and Macao.\n")
    (a,) = service.attachments.attach_files(doc_id, [source])
    assert (a.original_name, a.size, a.mime_type, a.text_status) == ("Minutes.md", source.stat().st_size, "text/markdown", "ok")
    assert a.path.read_bytes() == source.read_bytes()
    assert a.path.parent.parent == catalog.paths.attachments / "objects"
    assert service.attachments.attachment_text(a.id).startswith("# Minutes")
    detail = service.documents.get_document(doc_id)
    assert [x.original_name for x in detail.attachments] == ["Minutes.md"]
    assert service.documents.summaries([doc_id])[0].attachment_count == 1
    assert source.exists()  # the original is copied, never moved


def test_detaching_the_last_reference_deletes_the_file_once_no_undo_needs_it(catalog, service, doc_id, tmp_path):
    (a,) = service.attachments.attach_files(doc_id, [write(tmp_path / "a.txt", "only here")])
    service.attachments.detach(doc_id, a.id)
    assert service.documents.get_document(doc_id).attachments == ()
    assert a.path.exists()  # the undo step holds it
    assert service.integrity.check().ok
    service.history.clear()
    assert not a.path.exists()
    assert service.integrity.check().ok


def test_shared_content_is_stored_once_and_kept_while_referenced(catalog, service, doc_id, tmp_path, seeded_id):
    other = seeded_id("Digital Alliance Initiative")
    before = len(stored_files(catalog))
    (a,) = service.attachments.attach_files(doc_id, [write(tmp_path / "a.txt", "shared")])
    (b,) = service.attachments.attach_files(other, [write(tmp_path / "copy.txt", "shared")], allow_duplicate=True)
    assert a.path == b.path and len(stored_files(catalog)) == before + 1
    service.attachments.detach(doc_id, a.id)
    service.history.clear()
    assert b.path.exists()
    service.attachments.detach(other, b.id)
    service.history.clear()
    assert not b.path.exists()


def test_deleting_a_document_releases_its_files_when_the_trash_is_emptied(catalog, service, doc_id, tmp_path):
    (a,) = service.attachments.attach_files(doc_id, [write(tmp_path / "a.txt", "goes with the document")])
    service.documents.delete_document(doc_id)
    assert a.path.exists()  # in the trash
    service.trash.empty()
    assert not a.path.exists()
    assert service.integrity.check().ok


def test_duplicate_content_is_reported_and_can_be_linked_anyway(catalog, service, doc_id, tmp_path, seeded_id):
    other = seeded_id("Digital Alliance Initiative")
    service.attachments.attach_files(other, [write(tmp_path / "original.txt", "same content")])
    copy = write(tmp_path / "renamed.txt", "same content")
    assert [h.document_id for h in service.attachments.holders_of(copy)] == [other]
    with pytest.raises(DuplicateAttachment) as caught:
        service.attachments.attach_files(doc_id, [copy])
    assert "renamed.txt is already attached to" in str(caught.value)
    assert "Digital Alliance Initiative (as original.txt)" in str(caught.value)
    assert service.attachments.of(doc_id) == []
    assert catalog.service.store.temp_files() == []
    (linked,) = service.attachments.attach_files(doc_id, [copy], allow_duplicate=True)
    assert linked.text_status == "ok"


def test_the_same_content_twice_on_one_document_is_refused(service, doc_id, tmp_path):
    service.attachments.attach_files(doc_id, [write(tmp_path / "a.txt", "twice")])
    with pytest.raises(AlreadyAttached, match="already attached to document"):
        service.attachments.attach_files(doc_id, [write(tmp_path / "b.txt", "twice")], allow_duplicate=True)


def test_bad_input_attaches_nothing(catalog, service, doc_id, tmp_path):
    good = write(tmp_path / "good.txt", "fine")
    with pytest.raises(FileNotFoundError):
        service.attachments.attach_files(doc_id, [good, tmp_path / "missing.pdf"])
    with pytest.raises(ValueError, match="not a regular file"):
        service.attachments.attach_files(doc_id, [good, tmp_path])
    with pytest.raises(NotFound):
        service.attachments.attach_files(99999, [good])
    assert service.attachments.of(doc_id) == []
    assert service.store.temp_files() == []
    with pytest.raises(NotFound):
        service.attachments.detach(doc_id, 12345)


def test_a_broken_file_is_kept_with_a_clear_status(service, doc_id, tmp_path):
    (a,) = service.attachments.attach_files(doc_id, [write(tmp_path / "broken.pdf", b"%PDF-1.4 garbage")])
    assert a.text_status == "failed"
    assert a.text_message.startswith("text could not be extracted:")
    assert a.path.read_bytes() == b"%PDF-1.4 garbage"


def test_create_document_with_files_takes_the_title_from_the_file(service, tmp_path):
    pdf = write(tmp_path / "x.pdf", pdf_bytes(["Body"], title="Title from metadata"))
    detail = service.attachments.create_document_with_files(NewDocument(kind="report", title=""), [pdf])
    assert detail.title == "Title from metadata"
    assert [a.original_name for a in detail.attachments] == ["x.pdf"]
    untitled = write(tmp_path / "hengqin_photo.png", b"\x89PNG\r\n\x1a\n")
    assert service.attachments.create_document_with_files(NewDocument(kind="report", title=""), [untitled]).title == "hengqin photo"


def test_a_failed_database_write_leaves_no_file_behind(catalog, service, doc_id, tmp_path, monkeypatch):
    before = stored_files(catalog)

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(changelog, "record", fail)  # fails inside the transaction
    with pytest.raises(RuntimeError):
        service.attachments.attach_files(doc_id, [write(tmp_path / "a.txt", "never committed")])
    monkeypatch.undo()
    assert stored_files(catalog) == before
    assert service.attachments.of(doc_id) == []
    assert service.integrity.check().ok


def test_check_reports_and_repair_removes_what_a_crash_leaves(catalog, service, tmp_path):
    store = service.store
    # A crash after the rename, before the row was committed:
    with store.stage(write(tmp_path / "orphan.txt", "no row for me")) as staged:
        staged.commit()
    # A crash while copying, an hour ago:
    leftover = store.tmp / "deadbeef.part"
    leftover.write_bytes(b"half a file")
    an_hour_ago = time.time() - 3600
    os.utime(leftover, (an_hour_ago, an_hour_ago))
    report = service.integrity.check()
    assert report.unreferenced_files == (staged.sha256,)
    assert report.temp_files == (str(leftover),)
    assert not report.ok
    repaired = service.integrity.repair(report)
    assert repaired.ok
    assert not store.path_for(staged.sha256).exists() and not leftover.exists()


def test_a_row_whose_file_vanished_is_reported_not_deleted(catalog, service, doc_id, tmp_path):
    (a,) = service.attachments.attach_files(doc_id, [write(tmp_path / "a.txt", "will vanish")])
    a.path.unlink()
    report = service.integrity.repair(service.integrity.check())
    assert report.missing_files == (a.id,)
    assert [x.id for x in service.attachments.of(doc_id)] == [a.id]  # the record is kept
    service.attachments.detach(doc_id, a.id)  # the user's way out
    assert service.integrity.check().ok


def test_repair_extracts_text_of_rows_from_before_extraction(catalog, service, doc_id, tmp_path):
    from sqlalchemy import update

    from finweek_desktop.core.models import Attachment

    (a,) = service.attachments.attach_files(doc_id, [write(tmp_path / "a.txt", "Healthcare forum remarks")])
    with catalog.engine.begin() as connection:
        connection.execute(update(Attachment).values(text="", text_status="pending"))
    service.integrity.reindex()
    assert a.id in service.integrity.check().pending_text
    assert service.integrity.repair().ok
    assert service.attachments.attachment(a.id).text_status == "ok"
    assert doc_id in [h.id for h in service.search("healthcare forum remarks").hits]


def _hold_store_lock(root: str, connection) -> None:
    with AttachmentStore(Path(root)).lock:
        connection.send("held")
        connection.recv()


@pytest.mark.skipif(os.name != "posix", reason="probes the lock with flock")
def test_the_store_lock_excludes_another_process(tmp_path):
    # Another process (the CLI beside the desktop app) must not delete a file
    # "no row refers to" while this one has made it live and not yet
    # committed its row: both hold the store's lock for that.
    import fcntl

    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    holder = context.Process(target=_hold_store_lock, args=(str(tmp_path), theirs))
    holder.start()
    try:
        assert ours.recv() == "held"
        fd = os.open(tmp_path / "store.lock", os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            ours.send("release")
            holder.join()
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free once it is done
        finally:
            os.close(fd)
    finally:
        if holder.is_alive():
            ours.send("release")
        holder.join()
    assert holder.exitcode == 0


def test_a_file_that_cannot_be_moved_into_place_takes_the_others_with_it(catalog, service, doc_id, tmp_path, monkeypatch):
    before = stored_files(catalog)
    files = [write(tmp_path / f"{n}.txt", f"file number {n}") for n in range(3)]
    with service.store.stage(files[1]) as probe:
        second = probe.sha256
    real_replace = os.replace

    def replace(src, dst):
        if Path(dst).name == second:
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(OSError, match="No space left"):
        service.attachments.attach_files(doc_id, files)
    monkeypatch.undo()
    assert stored_files(catalog) == before  # the first file, moved already, went again
    assert service.store.temp_files() == []
    assert service.attachments.of(doc_id) == []
    assert service.integrity.check().ok


def _crash_while_moving_files_into_place(data_dir: str, source: str) -> None:
    from finweek_desktop.core.startup import open_catalog

    catalog = open_catalog(Path(data_dir), seed=False)
    real_replace = os.replace

    def replace(src, dst):
        if Path(dst).parent.parent == catalog.service.store.objects:
            os._exit(3)  # the power goes as the file is moved into the store
        real_replace(src, dst)

    os.replace = replace
    catalog.service.attachments.create_document_with_files(NewDocument(kind="report", title="Never finished"), [Path(source)])


def test_a_crash_while_creating_a_document_with_files_leaves_no_empty_document(tmp_path):
    from finweek_desktop.core.startup import open_catalog

    data_dir = tmp_path / "catalog"
    open_catalog(data_dir, seed=False).close()
    source = write(tmp_path / "report.txt", "Sustainable finance forum report")
    child = multiprocessing.get_context("spawn").Process(
        target=_crash_while_moving_files_into_place, args=(str(data_dir), str(source))
    )
    child.start()
    child.join()
    assert child.exitcode == 3
    catalog = open_catalog(data_dir, seed=False)
    try:
        assert catalog.service.documents.list_documents() == []
        assert not catalog.service.search("Never finished").hits
        assert list(catalog.service.store.hashes()) == []
    finally:
        catalog.close()


def test_a_disk_filling_up_while_creating_a_document_with_files_leaves_no_document(catalog, service, tmp_path, monkeypatch):
    count = len(service.documents.list_documents())
    full = []  # once the store's disk is full, every later write fails too
    real_replace = os.replace

    def replace(src, dst):
        if Path(dst).parent.parent == service.store.objects:
            full.append(dst)
        if full:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    real_record = changelog.record

    def record(*args):
        if full:
            raise OSError(28, "No space left on device")
        return real_record(*args)

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(changelog, "record", record)
    with pytest.raises(OSError, match="No space left"):
        service.attachments.create_document_with_files(NewDocument(kind="report", title="Half made"), [write(tmp_path / "a.txt", "x")])
    monkeypatch.undo()
    assert full and len(service.documents.list_documents()) == count
    assert service.integrity.check().ok


def test_attaching_again_a_file_whose_stored_copy_is_lost_restores_it(catalog, service, doc_id, tmp_path, seeded_id):
    source = write(tmp_path / "minutes.txt", "Forum minutes on green bonds")
    (a,) = service.attachments.attach_files(doc_id, [source])
    other = seeded_id("Digital Alliance Initiative")
    (b,) = service.attachments.attach_files(other, [source], allow_duplicate=True)
    a.path.unlink()
    assert service.integrity.check().missing_files == (a.id, b.id)
    extra = write(tmp_path / "extra.txt", "A new file beside the restored one")
    restored, added = service.attachments.attach_files(doc_id, [source, extra])
    assert restored == service.attachments.attachment(a.id)  # the same attachment, not a second one
    assert a.path.read_bytes() == source.read_bytes()
    assert added.original_name == "extra.txt"
    assert [x.id for x in service.attachments.of(doc_id)] == [a.id, added.id]
    assert service.integrity.check().ok  # the other document's copy is back too
    assert service.store.temp_files() == []
    with pytest.raises(AlreadyAttached):  # once it is back, it is attached again as before
        service.attachments.attach_files(doc_id, [source])


def test_a_fresh_temporary_file_is_an_attach_in_progress_not_a_leftover(catalog, service, tmp_path):
    store = service.store
    in_progress = store.stage(write(tmp_path / "big.pdf", b"being copied or parsed"))  # not committed yet
    old = store.tmp / "0ld.part"
    old.write_bytes(b"from a crash")
    eleven_minutes_ago = time.time() - 11 * 60
    os.utime(old, (eleven_minutes_ago, eleven_minutes_ago))
    report = service.integrity.check()
    assert report.temp_files == (str(old),)
    assert service.integrity.repair(report).ok
    assert not old.exists()
    assert in_progress.temp.exists()
    assert in_progress.commit() is True  # the attach in progress still completes
    assert store.exists(in_progress.sha256)
