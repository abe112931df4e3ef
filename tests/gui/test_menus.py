"""Right-click menus where a researcher expects them (document rows, tags,
organizations, files), and the toolbar's Edit and Delete acting on the tab
in view: on the selected tags in the Tags tab, on nothing where the detail
pane is hidden."""

from __future__ import annotations

import json

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QLabel, QMenu, QMessageBox, QToolButton

from finweek_desktop.core.catalog import DocumentFilter
from finweek_desktop.gui.dialogs import DocumentDialog, TagNameDialog
from finweek_desktop.gui.models import DocumentTableModel, TagTableModel

from gui_helpers import (
    BLUE_PAPER, choose, click_message_button, dialog, idle, menu_texts, press, right_click, search, seeded_id,
    select_title, titles,
)

REPORT = "2020 Hengqin New Area–Macao Cooperation Report"
NEWS = "brings new ideas"
SHIFT = Qt.KeyboardModifier.ShiftModifier


def row_center(tab, title: str) -> QPoint:
    row = next(r for r, t in enumerate(titles(tab)) if title.lower() in t.lower())
    return tab.table.visualRect(tab.model.index(row, DocumentTableModel.TITLE)).center()


def toolbar_button(window, action) -> QToolButton:
    return next(b for b in window.findChildren(QToolButton) if b.defaultAction() is action)


def visible_dialogs() -> list:
    return [w for w in QApplication.topLevelWidgets()
            if w.isVisible() and isinstance(w, (TagNameDialog, DocumentDialog, QMessageBox))]


def select_three(qtbot, tab) -> set[int]:
    select_title(qtbot, tab, BLUE_PAPER)
    qtbot.keyClick(tab.table, Qt.Key.Key_Down, SHIFT)
    qtbot.keyClick(tab.table, Qt.Key.Key_Down, SHIFT)
    return set(tab.model.ids[:3])


# -- document rows ------------------------------------------------------------


def test_right_click_on_a_row_selects_it_and_its_menu_deletes_it(qtbot, window, service):
    tab = window.all_tab
    select_title(qtbot, tab, BLUE_PAPER)
    right_click(qtbot, tab.table, row_center(tab, REPORT))
    menu = dialog(qtbot, QMenu, "documentMenu")
    assert window.detail.title.text() == REPORT and len(window.selected_ids()) == 1
    assert menu_texts(menu) == ["Open (no file attached)", "Edit document…", "Attach files…", "Tag…", "Remove a tag…",
                                "Add to collection…", "Export…", "Copy citation", "Copy bibliography", "Delete"]
    choose(qtbot, menu, "Delete")
    assert REPORT in dialog(qtbot, QMessageBox, "confirmDelete").text()
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        click_message_button(qtbot, "confirmDelete", "Delete")
    assert REPORT not in [d.title for d in service.documents.list_documents()]
    assert BLUE_PAPER in [d.title for d in service.documents.list_documents()]


def test_right_click_inside_a_selection_keeps_it_and_the_menu_says_how_many(qtbot, window, service):
    tab = window.all_tab
    chosen = select_three(qtbot, tab)
    right_click(qtbot, tab.table, tab.table.visualRect(tab.model.index(1, 0)).center())
    menu = dialog(qtbot, QMenu, "documentMenu")
    assert set(window.selected_ids()) == chosen
    texts = menu_texts(menu)
    assert "Delete 3 documents" in texts and "Tag 3 documents…" in texts and "Export 3 documents…" in texts
    edit = next(a for a in menu.actions() if a.text().replace("&", "").startswith("Edit"))
    assert not edit.isEnabled()  # one document at a time
    choose(qtbot, menu, "Tag 3 documents")
    box = dialog(qtbot, TagNameDialog)
    assert box.windowTitle() == "Tag 3 documents"
    qtbot.keyClicks(box.edit, "shortlist")
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        qtbot.keyClick(box.edit, Qt.Key.Key_Return)
    assert {d.id for d in service.documents.list_documents(DocumentFilter(tag="shortlist"))} == chosen


def test_the_menu_of_a_row_with_files_opens_each_of_them(qtbot, window, service):
    tab = window.all_tab
    select_title(qtbot, tab, NEWS)
    right_click(qtbot, tab.table, row_center(tab, NEWS))
    menu = dialog(qtbot, QMenu, "documentMenu")
    opener = next(a for a in menu.actions() if a.text() == "&Open")
    names = [a.text() for a in opener.menu().actions()]
    assert names == [a.original_name for a in service.documents.get_document(window.detail.document_id).attachments]
    menu.close()


def test_export_from_the_row_menu_writes_the_selected_documents_as_json(qtbot, window, tmp_path, monkeypatch):
    target = tmp_path / "picked.json"
    asked = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda parent, title, start, *a: asked.append(title) or (str(target), ""))
    tab = window.all_tab
    chosen = select_three(qtbot, tab)
    right_click(qtbot, tab.table, tab.table.visualRect(tab.model.index(0, 0)).center())
    choose(qtbot, dialog(qtbot, QMenu, "documentMenu"), "Export 3 documents")
    qtbot.waitUntil(target.exists, timeout=10000)
    idle(qtbot, window)
    data = json.loads(target.read_text(encoding="utf-8"))
    assert asked == ["Export 3 documents"]
    assert {d["id"] for d in data} == chosen and all("title" in d and "tags" in d for d in data)
    assert "Exported 3 documents" in window.statusBar().currentMessage()


def test_right_click_on_an_empty_area_offers_new_and_import(qtbot, window):
    tab = window.sessions_tab
    window.tabs.setCurrentWidget(tab)
    idle(qtbot, window)
    right_click(qtbot, tab.table, QPoint(40, tab.table.viewport().height() - 5))
    menu = dialog(qtbot, QMenu, "documentMenu")
    assert menu_texts(menu) == ["New document…", "Import files…"]
    menu.close()


# -- the pane's Delete is the selection's -------------------------------------


def test_the_panes_delete_button_deletes_every_selected_document_and_says_so(qtbot, window, service):
    tab = window.all_tab
    chosen = select_three(qtbot, tab)
    pane = window.detail
    assert pane.selection_label.isVisible() and pane.selection_label.text() == "3 of 3 selected"
    assert pane.delete_button.toolTip() == "Delete the 3 selected documents (Del)"
    assert not pane.edit_button.isEnabled() and not pane.attach_button.isEnabled()
    qtbot.mouseClick(pane.delete_button, Qt.MouseButton.LeftButton)
    assert dialog(qtbot, QMessageBox, "confirmDelete").text() == "Delete 3 documents?"
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        click_message_button(qtbot, "confirmDelete", "Delete")
    assert not chosen & {d.id for d in service.documents.list_documents()}
    assert service.documents.count_documents() == 6


def test_one_selected_document_says_nothing_of_a_selection(qtbot, window):
    select_title(qtbot, window.all_tab, BLUE_PAPER)
    assert not window.detail.selection_label.isVisible()
    assert window.detail.delete_button.toolTip() == "Delete the document (Del)"
    assert toolbar_button(window, window.delete_action).toolTip() == "Delete the document (Del)"


# -- tags and organizations ---------------------------------------------------


def open_tags(qtbot, window):
    press(qtbot, window, Qt.Key.Key_7)
    tab = window.tags_tab
    assert window.tabs.currentWidget() is tab
    qtbot.waitUntil(lambda: tab.proxy.rowCount() > 0)
    return tab


def tag_center(tab, name: str) -> QPoint:
    row = next(r for r in range(tab.proxy.rowCount()) if tab.proxy.index(r, TagTableModel.NAME).data() == name)
    return tab.table.visualRect(tab.proxy.index(row, TagTableModel.NAME)).center()


def test_the_delete_key_on_the_tags_tab_deletes_the_selected_tag(qtbot, window, service):
    select_title(qtbot, window.all_tab, BLUE_PAPER)  # a document the pane showed before
    tab = open_tags(qtbot, window)
    qtbot.mouseClick(tab.table.viewport(), Qt.MouseButton.LeftButton, pos=tag_center(tab, "healthcare"))
    qtbot.keyClick(tab.table, Qt.Key.Key_Delete)
    assert dialog(qtbot, QMessageBox, "confirmDeleteTags").text() == "Delete the tag “healthcare”?"
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        click_message_button(qtbot, "confirmDeleteTags", "Delete")
    assert "healthcare" not in [t.name for t in service.tags.all()]
    assert BLUE_PAPER in [d.title for d in service.documents.list_documents()]


def test_the_toolbars_edit_and_delete_act_on_the_selected_tag_or_are_disabled(qtbot, window, service):
    tab = open_tags(qtbot, window)
    tab.table.clearSelection()
    assert not window.edit_action.isEnabled() and not window.delete_action.isEnabled()
    qtbot.mouseClick(tab.table.viewport(), Qt.MouseButton.LeftButton, pos=tag_center(tab, "fintech"))
    edit = toolbar_button(window, window.edit_action)
    assert edit.isEnabled() and "Rename the tag “fintech”" in edit.toolTip()
    qtbot.mouseClick(edit, Qt.MouseButton.LeftButton)
    box = dialog(qtbot, TagNameDialog)
    assert box.windowTitle() == "Rename tag" and box.edit.text() == "fintech"
    box.reject()
    qtbot.mouseClick(tab.table.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier,
                     tag_center(tab, "insurance"))
    assert not window.edit_action.isEnabled()  # one tag at a time
    qtbot.mouseClick(toolbar_button(window, window.delete_action), Qt.MouseButton.LeftButton)
    assert dialog(qtbot, QMessageBox, "confirmDeleteTags").text() == "Delete 2 tags?"
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        click_message_button(qtbot, "confirmDeleteTags", "Delete")
    assert not {"fintech", "insurance"} & {t.name for t in service.tags.all()}


def test_document_keys_do_nothing_where_the_detail_pane_is_hidden(qtbot, window, service):
    select_title(qtbot, window.all_tab, BLUE_PAPER)
    for key in (Qt.Key.Key_7, Qt.Key.Key_8):  # Tags, then Organizations
        press(qtbot, window, key)
        assert not window.detail.isVisible()
        for action in (window.tag_action, window.untag_action, window.attach_action, window.export_action):
            assert not action.isEnabled(), action.objectName()
        press(qtbot, window, Qt.Key.Key_T)
        press(qtbot, window, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier | SHIFT)
        press(qtbot, window, Qt.Key.Key_E)
        press(qtbot, window, Qt.Key.Key_Delete, Qt.KeyboardModifier.NoModifier)
        qtbot.wait(100)
        assert visible_dialogs() == []
    assert not window.edit_action.isEnabled() and not window.delete_action.isEnabled()  # organizations
    assert [t.name for t in service.documents.get_document(seeded_id(service, BLUE_PAPER)).tags] == ["digital-currency", "fintech"]


def test_right_click_on_a_tag_offers_the_tag_actions(qtbot, window):
    tab = open_tags(qtbot, window)
    right_click(qtbot, tab.table, tag_center(tab, "blockchain"))
    menu = dialog(qtbot, QMenu, "tagMenu")
    assert tab.selected_names() == ["blockchain"]
    assert menu_texts(menu) == ["Show documents", "Rename…", "Merge…", "Colour…", "Delete"]
    choose(qtbot, menu, "Rename")
    box = dialog(qtbot, TagNameDialog)
    assert box.edit.text() == "blockchain"
    box.reject()


def test_right_click_on_an_organization_shows_its_documents(qtbot, window):
    press(qtbot, window, Qt.Key.Key_8)
    tab = window.orgs_tab
    qtbot.waitUntil(lambda: tab.proxy.rowCount() > 0)
    row = next(r for r in range(tab.proxy.rowCount()) if tab.proxy.index(r, 0).data() == "01 Think Tank")
    right_click(qtbot, tab.table, tab.table.visualRect(tab.proxy.index(row, 0)).center())
    menu = dialog(qtbot, QMenu, "organizationMenu")
    assert menu_texts(menu) == ["Show documents", "Copy name"]
    choose(qtbot, menu, "Show documents")
    assert window.tabs.currentWidget() is window.all_tab
    qtbot.waitUntil(lambda: not window.all_tab.model.loading)
    assert sorted(titles(window.all_tab)) == sorted([BLUE_PAPER, "3rd Shizimen Finance Week brings new ideas for "
                                                    "Hengqin–Macao financial cooperation"])


# -- files --------------------------------------------------------------------


def test_right_click_on_a_file_saves_a_copy_of_it(qtbot, window, service, tmp_path, monkeypatch):
    target = tmp_path / "copy.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    doc_id = select_title(qtbot, window.all_tab, NEWS)
    strip = window.detail.attachments
    qtbot.waitUntil(lambda: strip.count() == 2)
    right_click(qtbot, strip, strip.visualItemRect(strip.item(1)).center())
    menu = dialog(qtbot, QMenu, "fileMenu")
    assert menu_texts(menu) == ["Open", "Show in folder", "Save a copy as…", "Remove from the document…"]
    assert strip.currentRow() == 1
    choose(qtbot, menu, "Save a copy as")
    qtbot.waitUntil(target.exists, timeout=10000)
    idle(qtbot, window)
    stored = service.attachments.attachment(service.documents.get_document(doc_id).attachments[1].id).path
    assert target.read_bytes() == stored.read_bytes()


def test_right_click_on_a_search_hit_tags_that_hit(qtbot, window, service):
    search(qtbot, window, "digital")
    tab = window.search_tab
    qtbot.waitUntil(lambda: tab.model.rowCount() > 2, timeout=10000)
    idle(qtbot, window)
    qtbot.mouseClick(tab.results.viewport(), Qt.MouseButton.LeftButton,
                     pos=tab.results.visualRect(tab.model.index(0)).center())
    second = tab.result_titles()[1]
    right_click(qtbot, tab.results, tab.results.visualRect(tab.model.index(1)).center())
    menu = dialog(qtbot, QMenu, "documentMenu")
    assert window.detail.title.text() == second and len(window.selected_ids()) == 1
    assert "Tag…" in menu_texts(menu) and "Delete" in menu_texts(menu)
    choose(qtbot, menu, "Tag")
    box = dialog(qtbot, TagNameDialog)
    assert second in box.findChild(QLabel).text()
    qtbot.keyClicks(box.edit, "hit-picked")
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        qtbot.keyClick(box.edit, Qt.Key.Key_Return)
    assert [d.title for d in service.documents.list_documents(DocumentFilter(tag="hit-picked"))] == [second]
