"""A team catalog's files live in its database (content-addressed, chunked);
each desktop caches by hash what it attached, opened or previewed."""

from __future__ import annotations

import hashlib

import pytest
from PIL import Image
from sqlalchemy import func, select

from finweek_desktop.core.attachments.records import DuplicateAttachment
from finweek_desktop.core.models import FileChunk
from finweek_desktop.core.records import NewDocument
from finweek_desktop.core.startup import open_catalog
from finweek_desktop.core.team.files import TeamAttachmentStore


@pytest.fixture
def a_and_b(tmp_path, postgres_url):
    a = open_catalog(tmp_path / "a", database_url=postgres_url, seed=False)
    b = open_catalog(tmp_path / "b", database_url=postgres_url, seed=False)
    yield a, b
    b.close()
    a.close()


def test_an_image_attached_on_a_previews_and_exports_on_b(a_and_b, tmp_path):
    a, b = a_and_b
    picture = tmp_path / "forum.png"
    Image.new("RGB", (640, 480), (200, 30, 30)).save(picture)
    doc = a.service.attachments.create_document_with_files(NewDocument(kind="news_article", title="Forum"), [picture])
    (attachment,) = b.service.attachments.of(doc.id)
    assert b.service.store.local_usage() == (0, 0)  # nothing fetched yet
    thumbnail = b.service.attachments.thumbnail(attachment.id)
    assert Image.open(thumbnail).size == (256, 192)
    exported = tmp_path / "export.png"
    exported.write_bytes(b.service.attachments.attachment(attachment.id).path.read_bytes())
    assert hashlib.sha256(exported.read_bytes()).hexdigest() == attachment.sha256
    assert b.service.store.local_usage() == (1, picture.stat().st_size)  # cached by hash


def test_duplicates_are_found_across_the_team(a_and_b, tmp_path):
    a, b = a_and_b
    report = tmp_path / "report.txt"
    report.write_text("Annual report of the Hengqin cooperation zone", encoding="utf-8")
    first = a.service.attachments.create_document_with_files(NewDocument(kind="report", title="A's copy"), [report])
    second = b.service.documents.create_document(NewDocument(kind="report", title="B's copy"))
    with pytest.raises(DuplicateAttachment) as caught:
        b.service.attachments.attach_files(second.id, [report])
    assert [h.document_id for h in caught.value.holders] == [first.id]
    assert [h.document_id for h in b.service.attachments.holders_of(report)] == [first.id]


def test_a_large_file_is_stored_in_chunks_and_comes_back_whole(tmp_path, postgres_url):
    a = open_catalog(tmp_path / "a", database_url=postgres_url, seed=False)
    b = open_catalog(tmp_path / "b", database_url=postgres_url, seed=False)
    try:
        assert isinstance(a.service.store, TeamAttachmentStore) and isinstance(b.service.store, TeamAttachmentStore)
        a.service.store.chunk_bytes = 64 * 1024
        data = bytes(range(256)) * 1000 + b"tail"  # 256,004 bytes: 3 whole chunks of 64 KiB and a short one
        source = tmp_path / "data.bin"
        source.write_bytes(data)
        doc = a.service.attachments.create_document_with_files(NewDocument(kind="report", title="Data"), [source])
        (attachment,) = b.service.attachments.of(doc.id)
        with b.engine.connect() as connection:
            assert connection.scalar(select(func.count()).where(FileChunk.sha256 == attachment.sha256)) == 4
        assert b.service.attachments.attachment(attachment.id).path.read_bytes() == data
    finally:
        b.close()
        a.close()


def test_a_detached_file_stays_for_a_colleague_attaching_it_again(a_and_b, tmp_path):
    a, b = a_and_b
    notes = tmp_path / "notes.txt"
    notes.write_text("Notes on the Macao bond market", encoding="utf-8")
    doc = a.service.attachments.create_document_with_files(NewDocument(kind="report", title="Notes"), [notes])
    (attachment,) = a.service.attachments.of(doc.id)
    other = b.service.documents.create_document(NewDocument(kind="report", title="Other"))
    a.service.attachments.detach(doc.id, attachment.id)  # the last row: its file is released
    (again,) = b.service.attachments.attach_files(other.id, [notes])
    assert a.service.attachments.attachment(again.id).path.read_bytes() == notes.read_bytes()
    a.service.writer.catch_up()
    assert a.service.integrity.check().ok and b.service.integrity.check().ok
