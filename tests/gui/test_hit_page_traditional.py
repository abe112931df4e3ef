"""A Simplified query finds a Traditional Chinese scan, and selecting the hit
opens the scanned PDF at the page the words are on, highlighted from the OCR
word boxes (issue 14)."""

from __future__ import annotations

import sys
from pathlib import Path

from gui_helpers import idle, search, type_text
from PySide6.QtCore import Qt
from test_hit_page import add, click_hit

from finweek_desktop.gui.models import SnippetRole

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from scans import needs_tesseract, scan_pdf, scan_tiff


@needs_tesseract
def test_a_simplified_query_opens_the_traditional_page_of_a_scan(qtbot, window, tmp_path):
    pages = ["Stamped notice\nMacao, 2020", "橫琴金融產業基地\n聚集了銀行和保險機構"]  # page 2 is Traditional
    doc = add(window, "Blue paper scan", scan_pdf(tmp_path / "blue-paper.pdf", pages))
    (scan,) = window.service.attachments.of(doc.id)
    (outcome,) = window.service.reading.run([scan.id])  # what the background OCR does
    assert outcome.status == "ok"
    idle(qtbot, window)
    search(qtbot, window, "")  # Ctrl+F: the search box
    type_text(qtbot, window.search_tab.box, "保险机构")  # Simplified, as an input method commits it
    qtbot.waitUntil(lambda: window.search_tab.searched_text == "保险机构", timeout=20000)
    idle(qtbot, window)
    click_hit(qtbot, window, "Blue paper scan")
    preview = window.detail.preview
    assert window.detail.current_attachment().original_name == "blue-paper.pdf"
    qtbot.waitUntil(lambda: preview.current_page == 1 and bool(preview.highlights()), timeout=20000)
    assert preview.page_box.value() == 2
    (x0, y0, x1, y1) = preview.highlights()[0]
    assert 0 <= x0 < x1 <= 1 and 0 < y0 < y1 < 0.3  # the second line, near the top of the page
    model = window.search_tab.model
    row = next(r for r in range(model.rowCount()) if model.hit(r).id == doc.id)
    assert "in blue-paper.pdf, p. 2" in model.data(model.index(row), SnippetRole)
    window.grab().save("/tmp/ocr-traditional-hit-page.png")


@needs_tesseract
def test_a_hit_on_page_two_of_a_scanned_tiff_opens_that_page(qtbot, window, tmp_path):
    pages = ["Stamped notice\nMacao, 2020", "橫琴金融產業基地\n聚集了銀行和保險機構", "Hengqin\nsmart finance"]
    doc = add(window, "Sheet-feed scan", scan_tiff(tmp_path / "batch.tiff", pages))
    (scan,) = window.service.attachments.of(doc.id)
    (outcome,) = window.service.reading.run([scan.id])
    assert (outcome.status, outcome.pages) == ("ok", 3)
    idle(qtbot, window)
    search(qtbot, window, "")
    type_text(qtbot, window.search_tab.box, "保险机构")
    qtbot.waitUntil(lambda: window.search_tab.searched_text == "保险机构", timeout=20000)
    idle(qtbot, window)
    click_hit(qtbot, window, "Sheet-feed scan")
    preview = window.detail.preview
    assert window.detail.current_attachment().original_name == "batch.tiff"
    qtbot.waitUntil(lambda: preview.current_page == 1 and bool(preview.highlights()), timeout=20000)
    assert (preview.page_box.value(), preview.page_count.text()) == (2, "of 3")
    qtbot.waitUntil(lambda: not preview.grab().isNull(), timeout=5000)
    qtbot.wait(500)  # the page's image arrives from the worker
    window.grab().save("/tmp/ocr-tiff-hit-page.png")
    # Paging on shows the next frame, as a PDF's next page; the reader window pages it too.
    qtbot.mouseClick(preview.next_page, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: preview.current_page == 2, timeout=20000)
    qtbot.mouseClick(preview.pop_out, Qt.MouseButton.LeftButton)
    reader = window.readers[-1]
    qtbot.waitExposed(reader)
    qtbot.waitUntil(lambda: reader.thumbnails.count() == 3 and reader.preview.current_page == 2, timeout=20000)
    qtbot.waitUntil(lambda: reader.preview.mode == reader.preview.IMAGE, timeout=20000)  # the page is drawn
    reader.grab().save("/tmp/ocr-tiff-reader.png")
    reader.close()
