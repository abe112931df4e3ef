"""Long texts in fixed places: the toolbar's Undo button names the step it
would undo in a fixed width (elided, whole in the tooltip) and the toolbar
does not move; a long tag elides in the detail pane instead of widening it
past the window's edge."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QToolButton, QWidget

from finweek_desktop.gui.dialogs import TagNameDialog

from gui_helpers import dialog, idle, press, select_title


def toolbar_button(window, action) -> QToolButton:
    return next(b for b in window.findChildren(QToolButton) if b.defaultAction() is action)


def test_a_long_undo_step_does_not_push_the_toolbar(qtbot, window):
    undo = toolbar_button(window, window.undo_action)
    search = toolbar_button(window, window.find_action)
    width, search_x = undo.width(), search.mapTo(window, search.rect().topLeft()).x()
    assert undo.text() == "Undo" and not undo.isEnabled()
    window.all_tab.table.selectAll()
    press(qtbot, window, Qt.Key.Key_T)
    box = dialog(qtbot, TagNameDialog)
    name = "cross-border-wealth-management-connect-pilot"
    qtbot.keyClicks(box.edit, name)
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        qtbot.keyClick(box.edit, Qt.Key.Key_Return)
    idle(qtbot, window)
    qtbot.waitUntil(undo.isEnabled)
    assert undo.width() == width
    assert search.mapTo(window, search.rect().topLeft()).x() == search_x  # nothing moved
    assert undo.text().startswith("Undo") and undo.text().endswith("…")
    assert name in undo.toolTip() and "9 documents" in undo.toolTip()
    assert undo.fontMetrics().horizontalAdvance(undo.text()) + undo.iconSize().width() < width
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        qtbot.mouseClick(undo, Qt.MouseButton.LeftButton)
    idle(qtbot, window)
    assert name not in [t.name for t in window.service.tags.all()]


def test_a_long_tag_elides_in_the_detail_pane_instead_of_cutting_it_off(qtbot, window, service):
    window.resize(1024, 700)
    doc_id = select_title(qtbot, window.all_tab, "Blue Paper")
    line = window.detail.tags.line
    name = "cross-border-wealth-management-connect-pilot-scheme"
    qtbot.mouseClick(line, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(line, name)
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        qtbot.keyClick(line, Qt.Key.Key_Return)
    idle(qtbot, window)
    qtbot.waitUntil(lambda: name in [c.name for c in window.detail.tags.chips()])
    info = window.detail.findChild(QWidget, "detailInfo")
    viewport = info.parentWidget()
    qtbot.waitUntil(lambda: info.width() <= viewport.width())  # nothing cut off at the right
    chip = next(c for c in window.detail.tags.chips() if c.name == name)
    assert chip.geometry().right() <= info.width()
    assert "…" in chip.text() and chip.text().endswith("×") and name in chip.toolTip()
    short = next(c for c in window.detail.tags.chips() if c.name == "fintech")
    assert short.text() == "fintech  ×"  # short names stay whole
    assert window.detail.delete_button.geometry().right() <= info.width()
    assert doc_id == window.detail.document_id
