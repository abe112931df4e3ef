"""Dialogs as they open: the new-document form and the confirmations."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QScreen
from PySide6.QtWidgets import QApplication, QMessageBox

from finweek_desktop.gui.dialogs import DocumentDialog

from gui_helpers import BLUE_PAPER, dialog, press, select_title


def test_the_organizations_table_fits_the_new_document_dialog(qtbot, window):
    press(qtbot, window, Qt.Key.Key_N)
    box = dialog(qtbot, DocumentDialog)
    table = box.organizations.table
    qtbot.waitUntil(lambda: table.viewport().width() > 0)
    header = table.horizontalHeader()
    assert not table.horizontalScrollBar().isVisible()
    role_right = header.sectionViewportPosition(1) + header.sectionSize(1)
    assert role_right <= table.viewport().width()  # "Role" not clipped
    assert header.sectionSize(1) >= header.fontMetrics().horizontalAdvance("Role") + 12
    assert header.sectionSize(0) >= 200  # the name column takes the room left
    qtbot.mouseClick(next(b for b in box.organizations.findChildren(type(box.buttons.buttons()[0])) if b.text() == "Add"),
                     Qt.MouseButton.LeftButton)
    assert table.rowCount() == 1 and not table.horizontalScrollBar().isVisible()
    box.reject()


def test_the_delete_confirmation_has_a_plain_delete_button(qtbot, window):
    select_title(qtbot, window.all_tab, BLUE_PAPER)
    qtbot.keyClick(window.all_tab.table, Qt.Key.Key_Delete)
    box = dialog(qtbot, QMessageBox, "confirmDelete")
    delete = next(b for b in box.buttons() if b.text().replace("&", "") == "Delete")
    cancel = box.button(QMessageBox.StandardButton.Cancel)
    assert box.buttonRole(delete) == QMessageBox.ButtonRole.DestructiveRole
    assert delete.icon().isNull() and cancel.icon().isNull()  # no green tick on a button that deletes
    assert box.defaultButton() is cancel
    qtbot.keyClick(box, Qt.Key.Key_Escape)  # Esc cancels
    qtbot.waitUntil(lambda: not box.isVisible())
    assert BLUE_PAPER in window.detail.title.text()


def test_the_new_document_buttons_carry_no_tick_or_cross(qtbot, window):
    press(qtbot, window, Qt.Key.Key_N)
    box = dialog(qtbot, DocumentDialog)
    assert all(b.icon().isNull() for b in box.buttons.buttons())
    box.reject()


def test_the_new_document_dialog_fits_a_1024x700_screen(qtbot, window, service, monkeypatch):
    """Its fields (760 px) scroll; the buttons stay on the screen."""
    monkeypatch.setattr(QScreen, "availableGeometry", lambda self: QRect(0, 0, 1024, 700))
    press(qtbot, window, Qt.Key.Key_N)
    box = dialog(qtbot, DocumentDialog)
    assert box.height() <= 700 - 30  # and a title bar above it
    create = next(b for b in box.buttons.buttons() if b.text() == "Create")
    assert box.rect().contains(QRect(create.mapTo(box, QPoint(0, 0)), create.size()))
    qtbot.waitUntil(lambda: QApplication.focusWidget() is box.title_edit)
    qtbot.keyClicks(box.title_edit, "Fitted notes")
    walked = []
    while QApplication.focusWidget() is not box.source and len(walked) < 40:  # Tab down to the last field
        walked.append(QApplication.focusWidget())
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is box.source, walked
    viewport = box.fields_scroll.viewport()
    assert viewport.rect().contains(QRect(box.source.mapTo(viewport, QPoint(0, 0)), box.source.size()))
    qtbot.keyClicks(box.source, "typed at the bottom")
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        qtbot.mouseClick(create, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.detail.title.text() == "Fitted notes")
    assert service.documents.get_document(window.detail.document_id).source == "typed at the bottom"
