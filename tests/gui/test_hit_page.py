"""Selecting a search hit found inside a file opens that file at the hit's
page, the matched words highlighted; the file strip badges files that are not
searchable; attaching a scan never waits for OCR, which runs in the background."""

from __future__ import annotations

import sys
from pathlib import Path

from gui_helpers import idle, search, type_text
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
    if not paths:
        return window.service.documents.create_document(NewDocument(kind="report", title=title))
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
    pdf = scan_pdf(tmp_path / "scan.pdf", ["Stamped notice", "Hengqin smart finance\nindustrial park"])
    photo = scan_png(tmp_path / "photo.png", "橫琴金融產業基地\n聚集了銀行和保險機構")
    doc_id = add(window, "Scanned notice").id
    window.attach_files(doc_id, [pdf, photo])
    # Attaching does not wait for OCR: the files are stored, waiting for it.
    idle(qtbot, window)
    waiting = [a.original_name for a in window.service.attachments.of(doc_id) if a.text_status == "needs_ocr"]
    assert waiting == ["scan.pdf", "photo.png"]
    window.show_document(doc_id)
    strip = window.detail.attachments

    def badges():
        return [strip.item(r).data(NotSearchableRole) for r in range(strip.count())]

    assert badges() == [True, True]
    # What a start (or a restart) does: read what waits, in the background.
    window.background_ocr.enabled = True
    window.background_ocr.start()
    qtbot.waitUntil(lambda: not window.background_ocr.running, timeout=240000)
    assert window.service.reading.pending() == []
    idle(qtbot, window)
    qtbot.waitUntil(lambda: badges() == [False, False], timeout=20000)  # the pane heard the OCR's writes
    search(qtbot, window, "smart finance")
    click_hit(qtbot, window, "Scanned notice")
    preview = window.detail.preview
    assert window.detail.current_attachment().original_name == "scan.pdf"
    qtbot.waitUntil(lambda: preview.current_page == 1 and bool(preview.highlights()), timeout=20000)
    # A Simplified query finds the Traditional photo, and highlights its words from the OCR boxes.
    window.search_tab.box.clear()
    type_text(qtbot, window.search_tab.box, "保险机构")  # as an input method commits it
    qtbot.waitUntil(lambda: window.search_tab.searched_text == "保险机构", timeout=20000)
    idle(qtbot, window)
    click_hit(qtbot, window, "Scanned notice")
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


def test_find_in_the_preview_steps_through_matches_across_pages(qtbot, window, tmp_path):
    pages = ["Macau insurance", "Theme forums", "Insurance in Hengqin and Macau", "The end"]
    doc = add(window, "Insurance pages", write(tmp_path / "pages.pdf", pdf_bytes(pages)))
    window.show_document(doc.id)
    preview = window.detail.preview
    qtbot.waitUntil(lambda: preview.is_pdf and preview.page_total == 4, timeout=20000)
    preview.scroll_area.setFocus()
    qtbot.keyClick(preview.scroll_area, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)  # Ctrl+F in the viewer
    assert preview.find_bar.isVisible() and preview.find_box.hasFocus()
    assert window.tabs.currentWidget() is not window.search_tab  # not the catalog's search
    qtbot.keyClicks(preview.find_box, "MACAU")  # the same folding as search: case (and accents)
    qtbot.keyClick(preview.find_box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: preview.match_count == 2, timeout=20000)
    assert (preview.match_index, preview.current_page) == (0, 0)
    assert preview.find_status.text() == "1 of 2"
    qtbot.keyClick(preview.find_box, Qt.Key.Key_Return)  # next: on page 3
    assert (preview.match_index, preview.current_page) == (1, 2)
    assert len(preview.highlights()) == 1
    qtbot.keyClick(preview.find_box, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)  # previous
    assert (preview.match_index, preview.current_page) == (0, 0)
    qtbot.keyClick(preview.find_box, Qt.Key.Key_Escape)
    assert not preview.find_bar.isVisible() and preview.highlights() == []


def test_the_reader_window_pages_with_the_keyboard_and_thumbnails(qtbot, window, tmp_path):
    pages = [f"Page {n} of the blue paper" for n in range(1, 6)]
    doc = add(window, "Blue paper to read", write(tmp_path / "paper.pdf", pdf_bytes(pages)))
    window.show_document(doc.id)
    preview = window.detail.preview
    qtbot.waitUntil(lambda: preview.is_pdf and preview.page_total == 5, timeout=20000)
    preview.go_to_page(1)
    qtbot.mouseClick(preview.pop_out, Qt.MouseButton.LeftButton)
    reader = window.readers[-1]
    qtbot.waitExposed(reader)
    qtbot.waitUntil(lambda: reader.thumbnails.count() == 5 and reader.preview.current_page == 1, timeout=20000)
    qtbot.waitUntil(lambda: reader.preview.mode == reader.preview.IMAGE, timeout=20000)  # the page is drawn
    qtbot.mouseClick(reader.preview.scroll_area.viewport(), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(reader.preview.scroll_area.hasFocus, timeout=5000)
    qtbot.keyClick(reader.preview.scroll_area, Qt.Key.Key_PageDown)
    assert reader.preview.current_page == 2
    assert reader.thumbnails.currentRow() == 2
    reader.thumbnails.setCurrentRow(4)
    assert reader.preview.current_page == 4
    qtbot.mouseClick(reader.preview.zoom_in, Qt.MouseButton.LeftButton)
    assert reader.preview.zoom is not None
    reader.toggle_full_screen()
    assert reader.isFullScreen()
    reader.toggle_full_screen()
    idle(qtbot, window)
    reader.thumbnails.scrollToTop()
    reader.grab().save("/tmp/ocr-reader.png")
    reader.close()


def test_without_tesseract_the_status_bar_says_how_to_enable_ocr(qtbot, window, tmp_path, monkeypatch):
    from finweek_desktop.core.attachments import ocr

    add(window, "Photo", scan_png(tmp_path / "p.png", "Hengqin"))
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs"))
    ocr.missing.cache_clear()
    try:
        said = []
        window.background_ocr.message.connect(said.append)
        window.background_ocr.enabled = True
        window.background_ocr.start()
        qtbot.waitUntil(lambda: bool(said), timeout=20000)
        assert "not searchable until OCR reads them" in said[0] and "apt-get install tesseract-ocr" in said[0]
        assert window.service.reading.pending()  # still waiting, for when it is installed
    finally:
        ocr.missing.cache_clear()
