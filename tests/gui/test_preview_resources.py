"""A previewed note loads nothing it names (#17.6).

A Markdown attachment naming ``/dev/zero`` froze the window (it read without
end), one naming a FIFO hung it. Now only images that are attachments of the
same document are shown, read from the store; ``/dev/zero``, a FIFO,
``file:///etc/passwd``, ``http://…`` and ``../x.png`` become placeholders
and are never opened.

If a regression made the preview read ``/dev/zero`` or the FIFO again, this
test would hang: a watchdog ends the process after two minutes instead, and a
thread holding the FIFO's other end tells whether anyone opened it."""

from __future__ import annotations

import errno
import faulthandler
import os
import threading

import pytest
from gui_helpers import BLUE_PAPER, idle, select_title
from PIL import Image
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QImage, QTextDocument
from PySide6.QtWidgets import QTextBrowser

from finweek_desktop.core.attachments.linked_images import LinkedImages, attachment_name
from finweek_desktop.gui.file_strip import AttachmentRole
from finweek_desktop.gui.preview import PreviewWidget


@pytest.fixture
def hostile_note(tmp_path):
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    chart = tmp_path / "chart.png"
    Image.new("RGB", (64, 40), (200, 30, 30)).save(chart)
    outside = tmp_path / "outside.png"  # on disk beside the note, but no attachment
    Image.new("RGB", (50, 50), (0, 0, 200)).save(outside)
    note = tmp_path / "minutes.md"
    note.write_text(
        "# Forum minutes\n\n"
        "![zero](/dev/zero)\n\n"
        f"![fifo]({fifo})\n\n"
        "![passwd](file:///etc/passwd)\n\n"
        "![remote](http://127.0.0.1:9/x.png)\n\n"
        "![up](../outside.png)\n\n"
        f"![outside]({outside})\n\n"
        "![chart](chart.png)\n\n"
        "Sandbox for cross-border payments.\n",
        encoding="utf-8",
    )
    return note, chart, fifo, outside


BAD = ("/dev/zero", "file:///etc/passwd", "http://127.0.0.1:9/x.png", "../outside.png")


def test_references_that_are_no_plain_relative_path_name_no_attachment():
    for reference in (
        *BAD,
        "/tmp/chart.png",
        "https://x/chart.png",
        "data:image/png;base64,AAAA",
        "C:\\chart.png",
        "//host/chart.png",
        "a/../chart.png",
        "",
    ):
        assert attachment_name(reference) is None, reference
    assert attachment_name("chart.png") == attachment_name("./chart.png") == "chart.png"
    assert attachment_name("images/chart%20one.png") == "chart one.png"


def _fifo_opened(fifo, opened: list) -> threading.Thread:
    """A thread that opens the FIFO's writing end: it gets in only if someone
    opens the reading end, and then closes at once, so that reader gets EOF."""

    def hold():
        try:
            fd = os.open(fifo, os.O_WRONLY)
        except OSError:
            return
        opened.append(True)
        os.close(fd)

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    return thread


def test_a_markdown_preview_shows_only_its_documents_attachments(qtbot, window, service, hostile_note):
    note, chart, fifo, outside = hostile_note
    doc_id = select_title(qtbot, window.all_tab, BLUE_PAPER)
    service.attachments.attach_files(doc_id, [note, chart])
    window.show_document(doc_id)
    idle(qtbot, window)

    browser = window.detail.preview.text
    opened: list = []
    watcher = _fifo_opened(fifo, opened)
    faulthandler.dump_traceback_later(120, exit=True)  # a hang fails the run instead of stalling it
    try:
        strip = window.detail.attachments
        item = next(
            strip.item(r)
            for r in range(strip.count())
            if strip.item(r).data(AttachmentRole).original_name == "minutes.md"
        )
        qtbot.mouseClick(strip.viewport(), Qt.MouseButton.LeftButton, pos=strip.visualItemRect(item).center())
        preview = window.detail.preview
        qtbot.waitUntil(lambda: preview.mode == PreviewWidget.TEXT, timeout=20000)
        assert "Sandbox for cross-border payments." in browser.toPlainText()
        browser.viewport().repaint()  # laid out and drawn: every image asked for
        qtbot.wait(50)
        window.grab().save("/tmp/hostile-preview-resources.png")
    finally:
        faulthandler.cancel_dump_traceback_later()

    # Rendering asked the browser for each: it refused all but the chart.
    assert set(browser.refused) == {*BAD, str(fifo), str(outside)}
    # The chart, an attachment of the document, is shown from the store.
    document = browser.document()
    image = document.resource(QTextDocument.ResourceType.ImageResource.value, QUrl("chart.png"))
    assert isinstance(image, QImage) and (image.width(), image.height()) == (64, 40)
    assert image.pixelColor(10, 10).red() == 200

    # Everything else got the placeholder and was never opened.
    for reference in (*BAD, str(fifo), str(outside)):
        placeholder = document.resource(QTextDocument.ResourceType.ImageResource.value, QUrl(reference))
        assert isinstance(placeholder, QImage) and placeholder.size() == browser._placeholder.size(), reference
    assert not opened, "the FIFO was opened"
    # Unblock the watcher: open the reading end ourselves, without waiting.
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    watcher.join(timeout=5)
    os.close(fd)


def test_linked_images_reads_only_image_attachments_from_the_store(service, seeded_id, hostile_note):
    note, chart, _fifo, _outside = hostile_note
    doc_id = seeded_id(BLUE_PAPER)
    attached = service.attachments.attach_files(doc_id, [note, chart])
    linked = LinkedImages(attached, service.attachments.previews)
    text = note.read_text(encoding="utf-8")
    images = linked.load(text)
    assert list(images) == ["chart.png"]
    assert QImage.fromData(images["chart.png"]).size().width() == 64
    for reference in BAD:
        assert linked.find(reference) is None
    assert linked.find("chart.png").sha256 == attached[1].sha256
    assert linked.find("minutes.md") is None  # not an image
    with pytest.raises(OSError) as raised:  # the FIFO has no reader: nobody opened it
        os.open(_fifo, os.O_WRONLY | os.O_NONBLOCK)
    assert raised.value.errno == errno.ENXIO


def test_a_note_in_the_detail_pane_loads_nothing_it_names(qtbot, window, service, hostile_note):
    """The researcher's own notes are Markdown too: a note holding
    ``![z](/dev/zero)`` froze the window when its card was drawn."""
    note, _chart, fifo, outside = hostile_note
    doc_id = select_title(qtbot, window.all_tab, BLUE_PAPER)
    opened: list = []
    watcher = _fifo_opened(fifo, opened)
    faulthandler.dump_traceback_later(120, exit=True)  # a hang fails the run instead of stalling it
    try:
        service.notes.add(doc_id, note.read_text(encoding="utf-8"))
        panel = window.notes_panel
        qtbot.waitUntil(lambda: len(panel.notes) == 1, timeout=10000)
        idle(qtbot, window)
        body = panel.findChild(QTextBrowser, "noteBody")
        assert body is not None and "Sandbox for cross-border payments." in body.toPlainText()
        body.viewport().repaint()  # laid out and drawn: every image asked for
        qtbot.wait(50)
        window.grab().save("/tmp/audit17-hostile-note.png")
    finally:
        faulthandler.cancel_dump_traceback_later()
    # Every image got the placeholder (the chart too: a note is no attachment); none was opened.
    assert set(body.refused) == {*BAD, str(fifo), str(outside), "chart.png"}
    assert body.height() < 400  # placeholders, not the 50-pixel picture beside it nor /dev/zero
    assert not opened, "the FIFO was opened"
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    watcher.join(timeout=5)
    os.close(fd)
