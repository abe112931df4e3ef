"""Every action means the document(s) the detail pane shows: moving the
focus without selecting (Ctrl+arrows, Ctrl+Home, Ctrl+click) and text left
in the tag box never make an action hit another document."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox

from finweek_desktop.core.catalog import DocumentFilter
from finweek_desktop.gui.dialogs import DocumentDialog, TagNameDialog
from finweek_desktop.gui.models import DocumentTableModel

from gui_helpers import BLUE_PAPER, click_message_button, dialog, idle, press, search, select_title, titles

REPORT = "2020 Hengqin New Area–Macao Cooperation Report"
CTRL = Qt.KeyboardModifier.ControlModifier


def ctrl_click(qtbot, tab, title: str) -> None:
    row = titles(tab).index(title)
    rect = tab.table.visualRect(tab.model.index(row, DocumentTableModel.TITLE))
    qtbot.mouseClick(tab.table.viewport(), Qt.MouseButton.LeftButton, CTRL, rect.center())


def tag_with_ctrl_t(qtbot, window, name: str) -> tuple[str, str]:
    """Ctrl+T, type ``name``, Enter; the dialog's title and prompt."""
    press(qtbot, window, Qt.Key.Key_T)
    box = dialog(qtbot, TagNameDialog)
    texts = (box.windowTitle(), box.findChild(QLabel).text())
    qtbot.keyClicks(box.edit, name)
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        qtbot.keyClick(box.edit, Qt.Key.Key_Return)
    return texts


def tagged(service, name: str) -> set[int]:
    return {d.id for d in service.documents.list_documents(DocumentFilter(tag=name))}


# -- focus and selection ------------------------------------------------------


def test_ctrl_home_moves_the_focus_and_ctrl_t_tags_the_document_shown(qtbot, window, service):
    tab = window.all_tab
    doc_id = select_title(qtbot, tab, REPORT)
    qtbot.keyClick(tab.table, Qt.Key.Key_Home, CTRL)
    assert tab.table.currentIndex().row() == 0  # the focus went to the top, selecting nothing
    assert window.detail.document_id == doc_id
    assert window.selected_ids() == [doc_id]
    title, label = tag_with_ctrl_t(qtbot, window, "checked")
    assert title == "Tag 1 document" and REPORT in label
    assert tagged(service, "checked") == {doc_id}


def test_ctrl_down_then_delete_deletes_the_document_shown(qtbot, window, service):
    tab = window.all_tab
    doc_id = select_title(qtbot, tab, BLUE_PAPER)
    qtbot.keyClick(tab.table, Qt.Key.Key_Down, CTRL)
    qtbot.keyClick(tab.table, Qt.Key.Key_Down, CTRL)
    assert window.detail.title.text() == BLUE_PAPER
    qtbot.keyClick(tab.table, Qt.Key.Key_Delete)
    assert BLUE_PAPER in dialog(qtbot, QMessageBox, "confirmDelete").text()
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        click_message_button(qtbot, "confirmDelete", "Delete")
    assert doc_id not in [d.id for d in service.documents.list_documents()]
    assert service.documents.count_documents(DocumentFilter()) == 8


def test_ctrl_click_unselecting_the_shown_row_shows_the_one_still_selected(qtbot, window):
    tab = window.all_tab
    first = select_title(qtbot, tab, BLUE_PAPER)
    ctrl_click(qtbot, tab, REPORT)
    assert window.detail.title.text() == REPORT
    ctrl_click(qtbot, tab, REPORT)  # unselects it; the focus stays on it
    assert window.selected_ids() == [first]
    assert window.detail.document_id == first
    ctrl_click(qtbot, tab, BLUE_PAPER)  # nothing selected: nothing shown, nothing to act on
    assert window.selected_ids() == [] and window.detail.document_id is None


def test_ctrl_t_on_several_documents_says_how_many_and_tags_them(qtbot, window, service):
    tab = window.all_tab
    select_title(qtbot, tab, BLUE_PAPER)
    qtbot.keyClick(tab.table, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(tab.table, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    chosen = set(tab.model.ids[:3])
    qtbot.keyClick(tab.table, Qt.Key.Key_End, CTRL)  # the focus leaves the selection
    assert set(window.selected_ids()) == chosen
    assert window.detail.document_id in chosen
    title, label = tag_with_ctrl_t(qtbot, window, "to-read")
    assert title == "Tag 3 documents" and "3 selected documents" in label
    assert tagged(service, "to-read") == chosen


def test_ctrl_down_in_the_search_hits_keeps_the_pane_on_the_selected_hit(qtbot, window):
    search(qtbot, window, "digital")
    tab = window.search_tab
    qtbot.waitUntil(lambda: tab.model.rowCount() > 2, timeout=10000)
    first = tab.result_titles()[0]
    qtbot.mouseClick(tab.results.viewport(), Qt.MouseButton.LeftButton,
                     pos=tab.results.visualRect(tab.model.index(0)).center())
    qtbot.waitUntil(lambda: window.detail.title.text() == first)
    qtbot.keyClick(tab.results, Qt.Key.Key_Down, CTRL)
    assert tab.results.currentIndex().row() == 1
    assert window.detail.title.text() == first
    assert window.selected_ids() == [window.detail.document_id]


def test_a_new_document_made_on_the_search_tab_is_the_one_ctrl_t_tags(qtbot, window, service):
    search(qtbot, window, "digital")
    tab = window.search_tab
    qtbot.waitUntil(lambda: tab.model.rowCount() > 0, timeout=10000)
    qtbot.mouseClick(tab.results.viewport(), Qt.MouseButton.LeftButton,
                     pos=tab.results.visualRect(tab.model.index(0)).center())
    press(qtbot, window, Qt.Key.Key_N)
    box = dialog(qtbot, DocumentDialog)
    qtbot.keyClicks(box.title_edit, "Meeting notes")
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        qtbot.mouseClick(next(b for b in box.buttons.buttons() if b.text() == "Create"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.detail.title.text() == "Meeting notes")
    idle(qtbot, window)  # the hits are searched again
    new = window.detail.document_id
    assert window.selected_ids() == [new]
    title, label = tag_with_ctrl_t(qtbot, window, "minutes")
    assert "Meeting notes" in label
    assert tagged(service, "minutes") == {new}


def test_enter_on_the_focused_row_selects_and_edits_that_document(qtbot, window):
    tab = window.all_tab
    select_title(qtbot, tab, BLUE_PAPER)
    qtbot.keyClick(tab.table, Qt.Key.Key_Down, CTRL)
    qtbot.keyClick(tab.table, Qt.Key.Key_Return)
    box = dialog(qtbot, DocumentDialog)
    assert box.title_edit.text() == REPORT
    assert window.detail.title.text() == REPORT and len(window.selected_ids()) == 1
    box.reject()


# -- the tag box --------------------------------------------------------------


def test_a_tag_picked_from_the_completion_list_leaves_the_box_empty(qtbot, window, service):
    tab = window.all_tab
    doc_id = select_title(qtbot, tab, BLUE_PAPER)
    before = tagged(service, "insurance")
    line = window.detail.tags.line
    added = []
    window.detail.tag_add_requested.connect(lambda *args: added.append(args))
    qtbot.mouseClick(line, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(line, "insur")
    popup = line.completer().popup()
    qtbot.waitUntil(popup.isVisible)
    qtbot.keyClick(popup, Qt.Key.Key_Down)  # the keys go to the list while it shows
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        qtbot.keyClick(popup, Qt.Key.Key_Return)
    idle(qtbot, window)
    assert added == [(doc_id, "insurance")]
    assert line.text() == ""
    other = select_title(qtbot, tab, "Consulting sessions")
    assert line.text() == ""
    qtbot.keyClick(line, Qt.Key.Key_Return)
    idle(qtbot, window)
    assert tagged(service, "insurance") == before | {doc_id}  # not the other one


def test_showing_another_document_clears_a_half_typed_tag(qtbot, window, service):
    tab = window.all_tab
    select_title(qtbot, tab, BLUE_PAPER)
    line = window.detail.tags.line
    qtbot.mouseClick(line, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(line, "draft")
    other = select_title(qtbot, tab, "Consulting sessions")
    assert line.text() == ""
    qtbot.keyClick(line, Qt.Key.Key_Return)
    idle(qtbot, window)
    assert not service.documents.get_document(other).tags
    assert "draft" not in [t.name for t in service.tags.all()]


def test_a_tag_clicked_in_the_completion_list_is_added_once(qtbot, window, service):
    doc_id = select_title(qtbot, window.all_tab, BLUE_PAPER)
    line = window.detail.tags.line
    added = []
    window.detail.tag_add_requested.connect(lambda *args: added.append(args))
    qtbot.mouseClick(line, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(line, "insur")
    popup = line.completer().popup()
    qtbot.waitUntil(popup.isVisible)
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        qtbot.mouseClick(popup.viewport(), Qt.MouseButton.LeftButton,
                         pos=popup.visualRect(popup.model().index(0, 0)).center())
    idle(qtbot, window)
    assert added == [(doc_id, "insurance")] and line.text() == ""


def test_ctrl_tab_in_a_list_moves_neither_the_focus_row_nor_the_target(qtbot, window, service):
    tab = window.all_tab
    doc_id = select_title(qtbot, tab, REPORT)
    qtbot.keyClick(tab.table, Qt.Key.Key_Tab, CTRL)
    assert window.detail.document_id == doc_id and window.selected_ids() == [doc_id]
    _title, label = tag_with_ctrl_t(qtbot, window, "checked")
    assert REPORT in label and tagged(service, "checked") == {doc_id}


def test_ctrl_down_on_the_tags_tab_then_delete_deletes_the_selected_tag(qtbot, window, service):
    press(qtbot, window, Qt.Key.Key_7)
    tab = window.tags_tab
    qtbot.waitUntil(lambda: tab.proxy.rowCount() > 2)
    qtbot.mouseClick(tab.table.viewport(), Qt.MouseButton.LeftButton,
                     pos=tab.table.visualRect(tab.proxy.index(0, 0)).center())
    chosen = tab.selected_names()
    qtbot.keyClick(tab.table, Qt.Key.Key_Down, CTRL)
    qtbot.keyClick(tab.table, Qt.Key.Key_Down, CTRL)
    focused_name = tab.table.currentIndex().data()
    assert tab.table.currentIndex().row() == 2 and tab.selected_names() == chosen
    assert f"“{chosen[0]}”" in window.delete_action.toolTip()
    qtbot.keyClick(tab.table, Qt.Key.Key_Delete)
    assert dialog(qtbot, QMessageBox, "confirmDeleteTags").text() == f"Delete the tag “{chosen[0]}”?"
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        click_message_button(qtbot, "confirmDeleteTags", "Delete")
    names = [t.name for t in service.tags.all()]
    assert chosen[0] not in names and focused_name in names
