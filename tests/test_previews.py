"""Thumbnails, page renderings and text previews, from real files in a real store."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from test_attachment_samples import encrypted_pdf_bytes, image_file, pdf_bytes, write

from finweek_desktop.core.attachments import previews as previews_module
from finweek_desktop.core.attachments.previews import PreviewError
from finweek_desktop.core.records import NewDocument


@pytest.fixture
def doc_id(service):
    return service.documents.create_document(NewDocument(kind="report", title="Previews")).id


@pytest.fixture
def attach(service, doc_id):
    def run(path):
        (a,) = service.attachments.attach_files(doc_id, [path], allow_duplicate=True)
        return a

    return run


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".tiff", ".webp"])
def test_image_thumbnails(service, attach, tmp_path, suffix):
    a = attach(image_file(tmp_path / f"photo{suffix}", size=(1600, 900)))
    path = service.attachments.thumbnail(a.id, 256)
    with Image.open(path) as thumb:
        assert thumb.format == "PNG"
        assert thumb.size == (256, 144)


def test_pdf_thumbnail_is_the_first_page(service, attach, tmp_path):
    a = attach(write(tmp_path / "r.pdf", pdf_bytes(["First page", "Second"])))
    with Image.open(service.attachments.thumbnail(a.id, 128)) as thumb:
        assert max(thumb.size) == 128
        assert thumb.size[1] > thumb.size[0]  # A4 portrait
        assert thumb.getextrema() != ((255, 255), (255, 255), (255, 255))  # text was drawn


def test_thumbnails_are_cached_and_rebuilt_when_deleted(service, attach, tmp_path):
    a = attach(image_file(tmp_path / "p.png"))
    first = service.attachments.thumbnail(a.id, 64)
    assert first.parent.parent == service.store.previews
    assert service.attachments.thumbnail(a.id, 64) == first
    first.unlink()
    assert service.attachments.thumbnail(a.id, 64).exists()
    assert service.attachments.thumbnail(a.id, 128) != first  # one file per size


def test_thumbnail_bytes_for_a_front_end(service, attach, tmp_path):
    a = attach(image_file(tmp_path / "p.webp"))
    data = service.attachments.previews.thumbnail_bytes(a.sha256, a.mime_type, 64)
    assert data.startswith(b"\x89PNG")


def test_any_pdf_page_renders_full_size(service, attach, tmp_path):
    a = attach(write(tmp_path / "r.pdf", pdf_bytes(["One", "Two", "Three"])))
    assert service.attachments.page_count(a.id) == 3
    with Image.open(io.BytesIO(service.attachments.render_page(a.id, 2, scale=1.0))) as page:
        assert page.size == (595, 842)
    with pytest.raises(PreviewError, match="the PDF has 3 page\\(s\\); there is no page 4"):
        service.attachments.render_page(a.id, 3)


def test_a_huge_pdf_page_is_refused_with_a_message(service, attach, tmp_path):
    a = attach(write(tmp_path / "poster.pdf", pdf_bytes(["Huge"], page_size=(14400, 14400))))
    with pytest.raises(PreviewError, match="page 1 is too large to render at this zoom"):
        service.attachments.render_page(a.id, 0, scale=2.0)
    assert service.attachments.thumbnail(a.id, 256).exists()  # a thumbnail scales it down


def test_decompression_bombs_are_refused(service, attach, tmp_path, monkeypatch):
    a = attach(image_file(tmp_path / "big.png", size=(400, 300)))
    monkeypatch.setattr(previews_module, "MAX_PIXELS", 100_000)
    with pytest.raises(PreviewError, match=r"too large to preview safely \(400×300 pixels"):
        service.attachments.thumbnail(a.id)


def test_pillows_own_bomb_guard_gives_the_same_message(service, attach, tmp_path, monkeypatch):
    a = attach(image_file(tmp_path / "big.jpg", size=(400, 300)))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10_000)
    with pytest.raises(PreviewError, match="too large to preview safely"):
        service.attachments.thumbnail(a.id)


def test_encrypted_and_broken_files_get_a_message_not_a_crash(service, attach, tmp_path):
    locked = attach(write(tmp_path / "locked.pdf", encrypted_pdf_bytes(["x"])))
    with pytest.raises(PreviewError, match="encrypted"):
        service.attachments.thumbnail(locked.id)
    broken = attach(write(tmp_path / "broken.png", b"\x89PNG\r\n\x1a\nnot really"))
    with pytest.raises(PreviewError, match="the image cannot be read"):
        service.attachments.thumbnail(broken.id)
    text = attach(write(tmp_path / "n.txt", "text"))
    with pytest.raises(PreviewError, match="no thumbnail for text/plain"):
        service.attachments.thumbnail(text.id)


def test_text_previews(service, attach, tmp_path):
    gbk = attach(write(tmp_path / "zh.txt", "横琴新区金融服务", encoding="gbk"))
    assert service.attachments.text_preview(gbk.id) == "横琴新区金融服务"
    pdf = attach(write(tmp_path / "r.pdf", pdf_bytes(["Text from the PDF"])))
    assert service.attachments.text_preview(pdf.id) == "Text from the PDF"
    image = attach(image_file(tmp_path / "p.png"))
    assert "needs OCR" in service.attachments.text_preview(image.id)


def test_a_missing_store_file_is_a_clear_message(service, attach, tmp_path):
    a = attach(image_file(tmp_path / "p.png"))
    a.path.unlink()
    with pytest.raises(PreviewError, match="the stored file is missing"):
        service.attachments.thumbnail(a.id)


def test_pdf_pages_render_safely_from_several_threads_at_once(service, attach, tmp_path):
    # The GUI renders thumbnails and pages on a thread pool; PDFium itself is
    # not thread-safe, so without a lock this crashes the process.
    from concurrent.futures import ThreadPoolExecutor

    a = attach(write(tmp_path / "threads.pdf", pdf_bytes(["One", "Two", "Three"])))

    def render(i):
        with Image.open(io.BytesIO(service.attachments.render_page(a.id, i % 3, scale=0.25))) as page:
            return page.size

    with ThreadPoolExecutor(max_workers=4) as pool:
        sizes = list(pool.map(render, range(240)))
    assert set(sizes) == {(149, 211)}
