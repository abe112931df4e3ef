"""Files and the system: opening a read-only copy, showing the stored file,
dropping files on the window."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QDesktopServices

from gui_helpers import BLUE_PAPER, drop, idle, select_title

NEWS = "3rd Shizimen Finance Week brings new ideas"


@pytest.fixture
def opened(monkeypatch):
    """The URLs handed to the desktop (no application starts)."""
    urls = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: urls.append(url) or True)
    return urls


def test_open_says_it_opens_a_read_only_copy(qtbot, window, service, opened):
    doc_id = select_title(qtbot, window.all_tab, NEWS)
    idle(qtbot, window)
    assert "read-only copy" in window.detail.open_button.toolTip()
    qtbot.mouseClick(window.detail.open_button, Qt.MouseButton.LeftButton)
    idle(qtbot, window)
    (url,) = opened
    copy = Path(url.toLocalFile())
    first = service.documents.get_document(doc_id).attachments[0]
    assert copy.name == first.original_name
    assert copy.read_bytes() == service.attachments.attachment(first.id).path.read_bytes()
    assert stat.S_IMODE(copy.stat().st_mode) & 0o222 == 0  # read-only
    assert "read-only copy" in window.statusBar().currentMessage()
    qtbot.mouseClick(window.detail.open_button, Qt.MouseButton.LeftButton)  # again: the copy is reused
    idle(qtbot, window)
    assert len(opened) == 2 and Path(opened[1].toLocalFile()) == copy


def test_show_in_the_folder_shows_the_stored_file(qtbot, window, service, opened):
    doc_id = select_title(qtbot, window.all_tab, NEWS)
    idle(qtbot, window)
    qtbot.mouseClick(window.detail.reveal_button, Qt.MouseButton.LeftButton)
    idle(qtbot, window)
    stored = service.attachments.attachment(service.documents.get_document(doc_id).attachments[0].id).path
    assert [Path(u.toLocalFile()) for u in opened] == [stored.parent]  # no session bus here: the folder
    message = window.statusBar().currentMessage()
    assert stored.name in message and str(stored.parent) in message


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_drop_a_file_on_the_window_attaches_it_to_the_shown_document(qtbot, window, service, tmp_path):
    note = tmp_path / "notes.txt"
    note.write_text("Dropped on the toolbar.", encoding="utf-8")
    doc_id = select_title(qtbot, window.all_tab, BLUE_PAPER)
    with qtbot.waitSignal(window.ops.finished, timeout=20000):
        assert drop(window, QPoint(300, 20), [note])  # the window itself, not the table or the pane
    assert [a.original_name for a in service.documents.get_document(doc_id).attachments] == ["notes.txt"]
    qtbot.waitUntil(lambda: window.detail.attachments.count() == 1)
    idle(qtbot, window)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_drop_on_the_window_without_a_document_says_what_to_do(qtbot, window, service, tmp_path):
    before = {d.id: d.attachment_count for d in service.documents.list_documents()}
    note = tmp_path / "notes.txt"
    note.write_text("Nowhere to go.", encoding="utf-8")
    window.tabs.setCurrentWidget(window.search_tab)  # nothing selected there
    assert window.detail.document_id is None
    drop(window, QPoint(300, 20), [note])
    idle(qtbot, window)
    assert "Select a document" in window.statusBar().currentMessage()
    assert {d.id: d.attachment_count for d in service.documents.list_documents()} == before


def test_a_new_file_that_reuses_a_removed_files_id_gets_its_own_thumbnail(qtbot):
    import datetime as dt

    from PySide6.QtGui import QColor, QImage

    from finweek_desktop.core.records import AttachmentInfo
    from finweek_desktop.gui.file_strip import FileStrip

    strip = FileStrip()
    qtbot.addWidget(strip)
    old = AttachmentInfo(7, "a" * 64, "old.png", 10, "image/png", dt.datetime(2020, 11, 20))
    new = AttachmentInfo(7, "b" * 64, "new.png", 10, "image/png", dt.datetime(2020, 11, 21))
    image = QImage(8, 8, QImage.Format.Format_RGB32)
    image.fill(QColor("red"))
    strip.show_attachments((old,))
    strip.set_thumbnail(7, image)
    assert strip.has_thumbnail(7)
    strip.show_attachments((new,))  # the old file removed, another attached under id 7
    assert not strip.has_thumbnail(7)
    strip.show_attachments((old,))
    assert strip.has_thumbnail(7)  # the old one's is still known
