"""Selecting a search hit found inside a file opens that file at the hit's
page, the matched words highlighted; the file strip badges files that are not
searchable; attaching a scan never waits for OCR, which runs in the background."""

from __future__ import annotations

import sys
from pathlib import Path

from gui_helpers import idle, search
from PySide6.QtCore import Qt

from finweek_desktop.core.records import NewDocument
from finweek_desktop.gui.file_strip import AttachmentRole, NotSearchableRole
from finweek_desktop.gui.models import SnippetRole

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from scans import needs_tesseract, scan_pdf, scan_png  # noqa: E402
from test_attachment_samples import pdf_bytes, write  # noqa: E402


def click_hit(qtbot, window, title: str) -> None:
    tab = window.search_tab
    qtbot.waitUntil(lambda: any(tab.model.hit(r).title == title for r in range(tab.model.rowCount())), timeout=20000)
    row = next(r for r in range(tab.model.rowCount()) if tab.model.hit(r).title == title)
    rect = tab.results.visualRect(tab.model.index(row))
    qtbot.mouseClick(tab.results.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def add(window, title, *paths):
    return window.service.attachments.create_document_with_files(NewDocument(kind="report", title=title), list(paths))


def test_a_hit_in_a_pdf_opens_it_at_its_page_with_the_words_highlighted(qtbot, window, tmp_path):
    pages = ["Opening ceremony", "Theme forums", "The Digital Alliance Initiative was released"]
    notes = write(tmp_path / "notes.md", "# Notes\n\nNothing here about alliances.")
    add(window, "Forum proceedings", notes, write(tmp_path / "proceedings.pdf", pdf_bytes(pages)))
    idle(qtbot, window)
    search(qtbot, window, "alliance initiative")
    click_hit(qtbot, window, "Forum proceedings")
    preview = window.detail.preview
    assert window.detail.current_attachment().original_name == "proceedings.pdf"
    qtbot.waitUntil(lambda: preview.current_page == 2 and bool(preview.highlights()), timeout=20000)
    assert preview.page_box.value() == 3
    assert len(preview.highlights()) == 2  # "Alliance" and "Initiative"
    (x0, y0, x1, y1) = preview.highlights()[0]
    assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 0.3  # the line at the top of the page
    model = window.search_tab.model
    row = next(r for r in range(model.rowCount()) if model.hit(r).title == "Forum proceedings")
    assert "in proceedings.pdf, p. 3" in model.data(model.index(row), SnippetRole)
    window.grab().save("/tmp/ocr-hit-page.png")


@needs_tesseract
def test_a_hit_in_a_scan_opens_its_page_and_a_new_scan_is_read_in_the_background(qtbot, window, tmp_path, monkeypatch):
    window.background_ocr.enabled = True
    pdf = scan_pdf(tmp_path / "scan.pdf", ["Stamped notice", "Hengqin smart finance\nindustrial park"])
    photo = scan_png(tmp_path / "photo.png", "橫琴金融產業基地\n聚集了銀行和保險機構")
    window.attach_files(window.service.documents.list_documents()[0].id, [pdf, photo])
    # Attaching did not wait: the files are stored and badged before OCR reads them.
    idle(qtbot, window)
    qtbot.waitUntil(lambda: not window.background_ocr.running and not window.service.reading.pending(), timeout=240000)
    idle(qtbot, window)
    search(qtbot, window, "smart finance")
    qtbot.waitUntil(lambda: window.search_tab.model.rowCount() > 0, timeout=20000)
    title = window.search_tab.model.hit(0).title
    click_hit(qtbot, window, title)
    preview = window.detail.preview
    assert window.detail.current_attachment().original_name == "scan.pdf"
    qtbot.waitUntil(lambda: preview.current_page == 1 and bool(preview.highlights()), timeout=20000)
    # A Simplified query finds the Traditional photo, and highlights its words from the OCR boxes.
    search(qtbot, window, "保险机构")
    qtbot.waitUntil(lambda: window.search_tab.model.rowCount() > 0, timeout=20000)
    click_hit(qtbot, window, window.search_tab.model.hit(0).title)
    assert window.detail.current_attachment().original_name == "photo.png"
    qtbot.waitUntil(lambda: bool(preview.highlights(0)), timeout=20000)


def test_the_file_strip_badges_files_not_searchable(qtbot, window, tmp_path):
    window.background_ocr.enabled = False
    doc = add(window, "Photographed slide", write(tmp_path / "a.txt", "Hengqin"), scan_png(tmp_path / "s.png", "Hengqin"))
    window.show_document(doc.id)
    strip = window.detail.attachments
    badges = {strip.item(r).data(AttachmentRole).original_name: strip.item(r).data(NotSearchableRole)
              for r in range(strip.count())}
    assert badges == {"a.txt": False, "s.png": True}
    tip = next(strip.item(r).toolTip() for r in range(strip.count()) if "s.png" in strip.item(r).toolTip())
    assert "Not searchable: needs OCR" in tip
    window.grab().save("/tmp/ocr-badge.png")
