"""The window in a team: an edit that someone else's save overtook."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from finweek_desktop.core.startup import open_catalog
from finweek_desktop.gui.dialogs import DocumentDialog

from gui_helpers import BLUE_PAPER, dialog, idle, press, select_title


def test_an_edit_overtaken_by_a_colleague_shows_both_versions(qtbot, window, service, data_dir):
    doc_id = select_title(qtbot, window.all_tab, BLUE_PAPER)
    press(qtbot, window, Qt.Key.Key_E)
    box = dialog(qtbot, DocumentDialog)
    box.subtitle.clear()
    qtbot.keyClicks(box.subtitle, "My subtitle")
    colleague = open_catalog(data_dir)  # another process on the same catalog saves first
    try:
        colleague.service.documents.update_document(doc_id, subtitle="Their subtitle")
    finally:
        colleague.close()
    box.buttons.accepted.emit()
    conflict = dialog(qtbot, QMessageBox, "conflictDialog")
    text = conflict.informativeText()
    assert "My subtitle" in text and "Their subtitle" in text and "version" in text
    assert "changed by someone else meanwhile" in conflict.text()
    conflict.grab().save("/tmp/team-conflict-dialog.png")
    conflict.accept()
    idle(qtbot, window)
    assert service.documents.get_document(doc_id).subtitle == "Their subtitle"  # nothing overwritten
