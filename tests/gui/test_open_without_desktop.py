"""Where no application opens a file (no desktop, or nothing set up for its
type), the window says so and offers to save a copy or show the file."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QMessageBox

from gui_helpers import click_message_button, dialog, idle, select_title

NEWS = "brings new ideas"


def test_a_file_no_application_opens_can_be_saved_as_a_copy(qtbot, window, service, tmp_path, monkeypatch):
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or False)  # no desktop here
    target = tmp_path / "timeline-copy.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    doc_id = select_title(qtbot, window.all_tab, NEWS)
    strip = window.detail.attachments
    qtbot.waitUntil(lambda: strip.count() == 2)
    item = strip.item(1)
    name = item.data(Qt.ItemDataRole.UserRole + 20).original_name
    rect = strip.visualItemRect(item)
    qtbot.mouseClick(strip.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(strip.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    box = dialog(qtbot, QMessageBox, "noApplication")
    assert opened and box.text() == f"No application is set up to open {name}."
    click_message_button(qtbot, "noApplication", "Save a copy as…")
    qtbot.waitUntil(target.exists, timeout=10000)
    idle(qtbot, window)
    stored = service.attachments.attachment(service.documents.get_document(doc_id).attachments[1].id).path
    assert target.read_bytes() == stored.read_bytes()
    assert str(target) in window.statusBar().currentMessage()
