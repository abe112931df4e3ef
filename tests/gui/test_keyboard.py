"""The keyboard everywhere: dialogs that open where typing belongs, tab
shortcuts that put the focus in the tab, Tab that leaves the table, a key to
the detail pane and one back, and a shortcut sheet that lists them all."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QPalette
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox

from finweek_desktop.gui.dialogs import DocumentDialog
from finweek_desktop.gui.main_window import MainWindow
from finweek_desktop.gui.preview import PreviewWidget
from finweek_desktop.gui.shortcuts import ShortcutSheet, sheet, sheet_markdown
from finweek_desktop.gui.theme import is_dark
from finweek_desktop.gui.widgets import TagChip

from gui_helpers import BLUE_PAPER, dialog, idle, menu_texts, press, select_title
from test_theme import dark_palette, restore_palette  # noqa: F401 (a fixture)

NEWS = "brings new ideas"
CTRL = Qt.KeyboardModifier.ControlModifier


def focused():
    return QApplication.focusWidget()


def test_the_new_document_dialog_opens_with_the_focus_on_the_title(qtbot, window, service):
    press(qtbot, window, Qt.Key.Key_N)
    box = dialog(qtbot, DocumentDialog)
    kind = box.kind.currentData()
    qtbot.waitUntil(lambda: focused() is not None and focused().window() is box)
    qtbot.keyClicks(focused(), "Notes on insurance")
    assert box.title_edit.text() == "Notes on insurance"
    assert box.kind.currentData() == kind  # the letters did not pick another kind
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        qtbot.keyClick(focused(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.detail.title.text() == "Notes on insurance")
    assert service.documents.get_document(window.detail.document_id).kind == kind


# -- tab shortcuts and the sheet ----------------------------------------------


def test_ctrl_6_opens_search_with_the_keyboard_in_the_box(qtbot, window):
    press(qtbot, window, Qt.Key.Key_6)
    assert window.tabs.currentWidget() is window.search_tab
    qtbot.keyClicks(focused(), "digital")
    assert window.search_tab.box.text() == "digital"
    qtbot.waitUntil(lambda: BLUE_PAPER in window.search_tab.result_titles(), timeout=10000)


def test_down_in_the_search_box_goes_to_the_hits(qtbot, window):
    press(qtbot, window, Qt.Key.Key_F)
    tab = window.search_tab
    qtbot.keyClicks(tab.box, "digital")
    qtbot.waitUntil(lambda: len(tab.result_titles()) > 1, timeout=10000)
    idle(qtbot, window)
    first, second = tab.result_titles()[:2]
    qtbot.keyClick(tab.box, Qt.Key.Key_Down)
    assert focused() is tab.results
    assert window.detail.title.text() == first and len(window.selected_ids()) == 1
    qtbot.keyClick(focused(), Qt.Key.Key_Down)  # the arrows walk the hits
    assert window.detail.title.text() == second and len(window.selected_ids()) == 1
    assert tab.box.text() == "digital"


def test_the_keyboard_starts_in_the_list(qtbot, window):
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    assert focused() is window.all_tab.table  # not the sidebar's first button
    shown = window.detail.document_id
    qtbot.keyClick(focused(), Qt.Key.Key_Down)
    assert window.detail.document_id == window.all_tab.model.id_at(1) != shown


def test_a_window_reopened_on_the_search_tab_starts_in_the_box(qtbot, window, catalog, settings):
    press(qtbot, window, Qt.Key.Key_6)
    window.close()
    idle(qtbot, window)
    again = MainWindow(catalog, settings=settings)
    qtbot.addWidget(again)
    again.show()
    again.activateWindow()
    qtbot.waitUntil(again.isActiveWindow)
    assert again.tabs.currentWidget() is again.search_tab and focused() is again.search_tab.box
    again.runner.wait()
    idle(qtbot, again)
    again.close()


def test_ctrl_1_puts_the_keyboard_in_the_list(qtbot, window):
    press(qtbot, window, Qt.Key.Key_6)
    press(qtbot, window, Qt.Key.Key_1)
    tab = window.all_tab
    assert focused() is tab.table
    qtbot.keyClick(focused(), Qt.Key.Key_Down)
    assert window.detail.document_id == tab.model.id_at(1)


def shortcut_sheet(qtbot, window) -> str:
    press(qtbot, window, Qt.Key.Key_F1, Qt.KeyboardModifier.NoModifier)
    box = dialog(qtbot, ShortcutSheet, "shortcutSheet")
    text = box.text()
    box.done(0)
    return text


def test_the_shortcut_sheet_has_every_key_of_the_window_and_the_previews(qtbot, window):
    text = shortcut_sheet(qtbot, window)
    for keys in ("Page Down / Page Up", "Ctrl++ / Ctrl+-", "Ctrl+0", "F6", "Shift+F6", "Shift+F10", "F2",
                 "Ctrl+1 … Ctrl+8", "Ctrl+6: Search"):
        assert keys in text, keys
    for action in window.actions():
        if action in window.tab_actions:
            continue
        for sequence in action.shortcuts():
            assert sequence.toString(QKeySequence.SequenceFormat.NativeText) in text, action.objectName()


def test_the_readme_table_is_the_shortcut_sheet(qtbot, window):
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    table = sheet_markdown(sheet(window))
    assert table in readme, "README.md's shortcut table differs from F1:\n" + table


def test_the_preview_keys_in_the_sheet_work(qtbot, window):
    select_title(qtbot, window.all_tab, NEWS)
    preview = window.detail.preview
    qtbot.waitUntil(lambda: preview.mode == PreviewWidget.IMAGE, timeout=20000)  # the PDF's first page
    qtbot.mouseClick(preview.scroll_area.viewport(), Qt.MouseButton.LeftButton)
    assert preview.scroll_area.hasFocus()
    qtbot.keyClick(preview.scroll_area, Qt.Key.Key_PageDown)
    assert preview.current_page == 1
    qtbot.keyClick(preview.scroll_area, Qt.Key.Key_PageUp)
    assert preview.current_page == 0
    qtbot.keyClick(preview.scroll_area, Qt.Key.Key_Plus, CTRL)
    qtbot.waitUntil(lambda: preview.zoom is not None)  # a button's shortcut clicks it, animated
    qtbot.keyClick(preview.scroll_area, Qt.Key.Key_0, CTRL)
    qtbot.waitUntil(lambda: preview.zoom is None)
    idle(qtbot, window)


# -- Tab, F6 and the focus outline -------------------------------------------


def test_tab_leaves_the_table_and_walks_the_detail_pane(qtbot, window):
    select_title(qtbot, window.all_tab, NEWS)
    idle(qtbot, window)
    qtbot.keyClick(window.all_tab.table, Qt.Key.Key_Tab)
    pane = window.detail
    assert focused() is pane.attach_button  # the pane's first control, not the next cell
    seen = []
    for _ in range(30):
        seen.append(focused())
        qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    chips = pane.tags.chips()
    assert seen[:3 + len(chips) + 2] == [pane.attach_button, pane.edit_button, pane.delete_button, *chips,
                                         pane.tags.line, pane.attachments]
    assert pane.preview.scroll_area in seen  # the preview is reached too


def test_f6_goes_to_the_detail_pane_and_shift_f6_back_to_the_list(qtbot, window, service):
    doc_id = select_title(qtbot, window.all_tab, BLUE_PAPER)
    press(qtbot, window, Qt.Key.Key_F6, Qt.KeyboardModifier.NoModifier)
    assert focused() is window.detail.tags.line
    qtbot.keyClicks(focused(), "to-cite")
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        qtbot.keyClick(focused(), Qt.Key.Key_Return)
    assert "to-cite" in [t.name for t in service.documents.get_document(doc_id).tags]
    press(qtbot, window, Qt.Key.Key_F6, Qt.KeyboardModifier.ShiftModifier)
    assert focused() is window.all_tab.table


def test_delete_on_a_focused_tag_chip_removes_the_tag_not_the_document(qtbot, window, service):
    doc_id = select_title(qtbot, window.all_tab, BLUE_PAPER)
    qtbot.keyClick(window.all_tab.table, Qt.Key.Key_Tab)
    while not isinstance(focused(), TagChip):
        qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    name = focused().name
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        qtbot.keyClick(focused(), Qt.Key.Key_Delete)
    assert name not in [t.name for t in service.documents.get_document(doc_id).tags]
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]


def test_shift_f10_opens_the_menu_of_the_selected_row(qtbot, window):
    select_title(qtbot, window.all_tab, BLUE_PAPER)
    qtbot.keyClick(window.all_tab.table, Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier)
    menu = dialog(qtbot, QMenu, "documentMenu")
    assert "Delete" in menu_texts(menu)
    menu.close()


def highlight_ring(widget, rect=None) -> int:
    """Pixels of the highlight colour in the 2 px ring around ``widget`` (or ``rect`` in it)."""
    image = widget.grab(rect).toImage() if rect is not None else widget.grab().toImage()
    target = widget.palette().color(QPalette.ColorRole.Highlight)
    w, h = image.width(), image.height()
    ring = [(x, y) for x in range(w) for y in (0, 1, h - 2, h - 1)] + \
           [(x, y) for y in range(2, h - 2) for x in (0, 1, w - 2, w - 1)]

    def close(c):
        return abs(c.red() - target.red()) + abs(c.green() - target.green()) + abs(c.blue() - target.blue()) < 60

    return sum(1 for x, y in ring if close(image.pixelColor(x, y)))


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_focus_outline_shows_in_light_and_dark(qtbot, window, theme, restore_palette):
    if theme == "dark":
        restore_palette.setPalette(dark_palette())
        qtbot.waitUntil(lambda: is_dark())
        idle(qtbot, window)
    select_title(qtbot, window.all_tab, NEWS)
    idle(qtbot, window)
    pane = window.detail
    chip = pane.tags.chips()[0]
    for widget in (window.all_tab.table, pane.edit_button, chip, pane.attachments, window.sidebar.view):
        window.all_tab.filter_edit.setFocus()
        qtbot.waitUntil(lambda: window.all_tab.filter_edit.hasFocus())
        before = highlight_ring(widget)
        widget.setFocus(Qt.FocusReason.TabFocusReason)
        qtbot.waitUntil(widget.hasFocus)
        after = highlight_ring(widget)
        perimeter = 2 * (widget.width() + widget.height())
        assert after - before > perimeter // 3, (theme, widget.objectName(), before, after, perimeter)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_tab_bar_shows_the_focus_in_light_and_dark(qtbot, window, theme, restore_palette):
    """Tab reaches the tab bar (arrows then change the tab): its current tab is framed."""
    if theme == "dark":
        restore_palette.setPalette(dark_palette())
        qtbot.waitUntil(lambda: is_dark())
        idle(qtbot, window)
    bar = window.tabs.bar
    tab = bar.tabRect(bar.currentIndex())
    window.all_tab.filter_edit.setFocus()
    qtbot.waitUntil(lambda: window.all_tab.filter_edit.hasFocus())
    before = highlight_ring(bar, tab)
    bar.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(bar.hasFocus)
    after = highlight_ring(bar, tab)
    # three sides framed (the bottom opens on the page)
    assert after - before > (tab.width() + 2 * tab.height()) * 2 // 3, (theme, before, after)
