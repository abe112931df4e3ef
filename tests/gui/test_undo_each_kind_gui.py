"""Undo and redo in the window of each kind of change issue 11 names: an
edit, a tag, a tag merge, a delete and a detach, each made as a user makes
it (dialogs, buttons, the Tags tab), then Ctrl+Z and Ctrl+Shift+Z. The steps
are the core's (the same `finweek undo` walks); after each, the search
index follows (a search finds what the catalog says)."""

from __future__ import annotations

import pytest
from gui_helpers import BLUE_PAPER, click_message_button, dialog, idle, press, search, select_title, titles
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog, QLineEdit

from finweek_desktop.core.catalog import DocumentFilter
from finweek_desktop.gui.dialogs import DocumentDialog, TagNameDialog
from finweek_desktop.gui.models import TagTableModel

SHIFT_CTRL = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def on_the_list(window) -> None:
    """Back on the document list (a text box would take Ctrl+Z for its own typing)."""
    window.tabs.setCurrentWidget(window.all_tab)
    window.all_tab.table.setFocus()


def undo(qtbot, window) -> None:
    assert window.undo_action.isEnabled()
    on_the_list(window)
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        press(qtbot, window, Qt.Key.Key_Z)
    idle(qtbot, window)


def redo(qtbot, window) -> None:
    assert window.redo_action.isEnabled()
    on_the_list(window)
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        press(qtbot, window, Qt.Key.Key_Z, SHIFT_CTRL)
    idle(qtbot, window)


def found(qtbot, window, query: str) -> list[str]:
    """What the Search tab lists for ``query``, typed as a user types it."""
    with qtbot.waitSignal(window.search_tab.searched, timeout=10000,
                          check_params_cb=lambda results: getattr(results, "text", None) == query):
        search(qtbot, window, query)
    listed = window.search_tab.result_titles()
    window.tabs.setCurrentWidget(window.all_tab)
    return listed


def test_an_edit_is_undone_and_redone(qtbot, window, service):
    doc_id = select_title(qtbot, window.all_tab, BLUE_PAPER)
    press(qtbot, window, Qt.Key.Key_E)
    box = dialog(qtbot, DocumentDialog)
    box.title_edit.clear()
    qtbot.keyClicks(box.title_edit, "Zebracurrency paper")
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        box.buttons.accepted.emit()
    idle(qtbot, window)
    assert service.documents.get_document(doc_id).title == "Zebracurrency paper"
    assert "Edit" in window.undo_action.text()

    undo(qtbot, window)
    assert service.documents.get_document(doc_id).title == BLUE_PAPER
    qtbot.waitUntil(lambda: BLUE_PAPER in titles(window.all_tab), timeout=10000)
    assert found(qtbot, window, "zebracurrency") == []
    redo(qtbot, window)
    assert service.documents.get_document(doc_id).title == "Zebracurrency paper"
    qtbot.waitUntil(lambda: "Zebracurrency paper" in titles(window.all_tab), timeout=10000)
    assert found(qtbot, window, "zebracurrency") == ["Zebracurrency paper"]


def test_a_tag_is_undone_and_redone(qtbot, window, service):
    doc_id = select_title(qtbot, window.all_tab, BLUE_PAPER)
    press(qtbot, window, Qt.Key.Key_T)
    box = dialog(qtbot, TagNameDialog)
    qtbot.keyClicks(box.edit, "to-read")
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        qtbot.keyClick(box.edit, Qt.Key.Key_Return)
    idle(qtbot, window)

    def tags():
        return {t.name for t in service.documents.get_document(doc_id).tags}

    assert "to-read" in tags() and "to-read" in window.undo_action.text()
    undo(qtbot, window)
    assert "to-read" not in tags()
    qtbot.waitUntil(lambda: "to-read" not in window.detail.tags.line.names(), timeout=10000)
    assert found(qtbot, window, "tag:to-read") == []
    redo(qtbot, window)
    assert "to-read" in tags()
    assert found(qtbot, window, "tag:to-read") == [BLUE_PAPER]


def test_a_tag_merge_is_undone_and_redone(qtbot, window, service):
    def members(tag):
        return {d.id for d in service.documents.list_documents(DocumentFilter(tag=tag))}

    before = {t: members(t) for t in ("digital-currency", "fintech")}
    tab = window.tags_tab
    window.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: tab.proxy.rowCount() > 0)
    for n, name in enumerate(("digital-currency", "fintech")):
        row = next(r for r in range(tab.proxy.rowCount()) if tab.proxy.index(r, TagTableModel.NAME).data() == name)
        rect = tab.table.visualRect(tab.proxy.index(row, TagTableModel.NAME))
        modifier = Qt.KeyboardModifier.ControlModifier if n else Qt.KeyboardModifier.NoModifier
        qtbot.mouseClick(tab.table.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())
    qtbot.mouseClick(tab.merge_button, Qt.MouseButton.LeftButton)
    box = dialog(qtbot, QInputDialog, "mergeDialog")
    line = box.findChild(QLineEdit)
    line.selectAll()
    qtbot.keyClicks(line, "digital-finance")
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        qtbot.keyClick(line, Qt.Key.Key_Return)
    idle(qtbot, window)
    merged = before["digital-currency"] | before["fintech"]
    assert members("digital-finance") == merged and "fintech" not in {t.name for t in service.tags.all()}
    assert "Merge" in window.undo_action.text()

    undo(qtbot, window)
    assert {t: members(t) for t in before} == before
    assert "digital-finance" not in {t.name for t in service.tags.all()}
    window.tabs.setCurrentWidget(tab)  # the Tags tab lists both again
    qtbot.waitUntil(lambda: tab.model.row_of("fintech") is not None, timeout=10000)
    assert tab.model.row_of("digital-finance") is None
    assert len(found(qtbot, window, "tag:fintech")) == len(before["fintech"])
    redo(qtbot, window)
    assert members("digital-finance") == merged and not members("fintech")
    assert len(found(qtbot, window, "tag:digital-finance")) == len(merged)


def test_a_delete_is_undone_and_redone(qtbot, window, service):
    doc_id = select_title(qtbot, window.all_tab, BLUE_PAPER)
    qtbot.keyClick(window.all_tab.table, Qt.Key.Key_Delete)
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        click_message_button(qtbot, "confirmDelete", "Delete")
    idle(qtbot, window)
    qtbot.waitUntil(lambda: BLUE_PAPER not in titles(window.all_tab), timeout=10000)
    assert "Delete" in window.undo_action.text()

    undo(qtbot, window)
    qtbot.waitUntil(lambda: BLUE_PAPER in titles(window.all_tab), timeout=10000)
    assert service.trash.entries() == []
    assert BLUE_PAPER in found(qtbot, window, "digital currency blue paper")
    redo(qtbot, window)
    qtbot.waitUntil(lambda: BLUE_PAPER not in titles(window.all_tab), timeout=10000)
    assert [e.document_id for e in service.trash.entries()] == [doc_id]
    assert BLUE_PAPER not in found(qtbot, window, "digital currency blue paper")


@pytest.fixture
def minutes(tmp_path):
    path = tmp_path / "forum-minutes.txt"
    path.write_text("Minutes of the quokkaledger forum on cross-border payments.", encoding="utf-8")
    return path


def test_a_detach_is_undone_and_redone(qtbot, window, service, minutes):
    doc_id = select_title(qtbot, window.all_tab, BLUE_PAPER)
    with qtbot.waitSignal(window.ops.finished, timeout=20000):
        window.ops.attach_files(doc_id, [minutes])  # what a drop on the pane does
    idle(qtbot, window)

    def files():
        return [a.original_name for a in service.documents.get_document(doc_id).attachments]

    assert files() == ["forum-minutes.txt"]
    qtbot.waitUntil(lambda: window.detail.current_attachment() is not None, timeout=10000)
    qtbot.mouseClick(window.detail.detach_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        click_message_button(qtbot, "confirmDetach", "Remove")
    idle(qtbot, window)
    assert files() == []
    assert found(qtbot, window, "quokkaledger") == []
    assert "Detach “forum-minutes.txt”" in window.undo_action.text()

    undo(qtbot, window)
    assert files() == ["forum-minutes.txt"]
    [attachment] = service.documents.get_document(doc_id).attachments
    assert service.attachments.attachment(attachment.id).path.read_text(encoding="utf-8") == minutes.read_text()
    assert found(qtbot, window, "quokkaledger") == [BLUE_PAPER]
    redo(qtbot, window)
    assert files() == []
    assert found(qtbot, window, "quokkaledger") == []
    assert service.integrity.check().ok
