"""The collections sidebar, saved searches, notes in the detail pane and batch
edit, driven as a user would: clicks, drags, the right-click menu, dialogs,
Ctrl+Z. A real catalog in tmp_path."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QFileDialog, QFrame, QLabel, QLineEdit, QToolButton

from gui_helpers import BLUE_PAPER, choose, dialog, idle, press, right_click, select_title, titles

from finweek_desktop.core.records import NewDocument
from finweek_desktop.gui.batch_edit import BatchEditDialog
from finweek_desktop.gui.collections_sidebar import CollectionsModel
from finweek_desktop.gui.models import DocumentTableModel


def _rows(sidebar) -> list[tuple[str, str]]:
    """(indented name, count) of every row of the sidebar, as shown."""
    model = sidebar.model
    out = []

    def walk(parent, depth):
        for row in range(model.rowCount(parent)):
            name = model.index(row, CollectionsModel.NAME, parent)
            count = model.index(row, CollectionsModel.COUNT, parent)
            out.append(("  " * depth + (name.data() or ""), count.data() or ""))
            walk(name, depth + 1)

    walk(model.index(-1, -1), 0)
    return out


def _click(qtbot, sidebar, collection_id: int) -> None:
    index = sidebar.model.index_of(collection_id)
    sidebar.view.scrollTo(index)
    rect = sidebar.view.visualRect(index)
    qtbot.mouseClick(sidebar.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def _name_dialog(qtbot, sidebar, text: str) -> None:
    qtbot.waitUntil(lambda: sidebar.name_dialog is not None and sidebar.name_dialog.isVisible(), timeout=5000)
    box = sidebar.name_dialog
    line = box.findChild(QLineEdit)
    line.selectAll()
    qtbot.keyClicks(line, text)
    qtbot.keyClick(line, Qt.Key.Key_Return)


def _drop_on(qtbot, sidebar, collection_id: int, mime) -> bool:
    """A drag from a document list entering the tree and dropped on a row."""
    index = sidebar.model.index_of(collection_id)
    pos = sidebar.view.visualRect(index).center()
    viewport = sidebar.view.viewport()
    action, buttons, none = Qt.DropAction.CopyAction, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(pos, action, mime, buttons, none)
    QApplication.sendEvent(viewport, enter)
    move = QDragMoveEvent(pos, action, mime, buttons, none)
    QApplication.sendEvent(viewport, move)
    if not move.isAccepted():
        return False
    drop = QDropEvent(QPointF(pos), action, mime, buttons, none)
    QApplication.sendEvent(viewport, drop)
    return drop.isAccepted()


def test_sidebar_lists_nested_collections_and_a_click_shows_their_documents(qtbot, qtmodeltester, window):
    service = window.service
    ids = service.documents.document_ids()
    service.collections.collect(ids[:2], "Hengqin/Tax policy")
    service.collections.save_search("Digital", "digital")
    sidebar = window.sidebar
    digital = service.search("digital", limit=None).total
    qtbot.waitUntil(lambda: ("  Digital", str(digital)) in _rows(sidebar), timeout=10000)
    assert _rows(sidebar) == [("COLLECTIONS", ""), ("  Hengqin", "0"), ("    Tax policy", "2"),
                              ("SAVED SEARCHES", ""), ("  Digital", str(digital))]
    qtmodeltester.check(sidebar.model)

    _click(qtbot, sidebar, service.collections.find("Hengqin/Tax policy").id)
    assert window.tabs.currentWidget() is window.all_tab
    qtbot.waitUntil(lambda: not window.all_tab.model.loading and sorted(window.all_tab.model.ids) == sorted(ids[:2]))
    assert window.all_tab.chip.text() == "Collection: Hengqin/Tax policy"
    _click(qtbot, sidebar, service.collections.find("Digital").id)
    qtbot.waitUntil(lambda: len(window.all_tab.model.ids) == digital and not window.all_tab.model.loading)
    qtbot.mouseClick(window.all_tab.chip_clear, Qt.MouseButton.LeftButton)  # everything again
    qtbot.waitUntil(lambda: len(window.all_tab.model.ids) == service.documents.count_documents())


def test_dragging_rows_onto_a_collection_collects_them_and_ctrl_z_undoes(qtbot, window):
    service = window.service
    service.collections.create("To read")
    sidebar = window.sidebar
    qtbot.waitUntil(lambda: ("  To read", "0") in _rows(sidebar), timeout=10000)
    to_read = service.collections.find("To read").id

    tab = window.all_tab
    select_title(qtbot, tab, BLUE_PAPER)
    doc_id = window.detail.document_id
    rows = tab.table.selectionModel().selectedIndexes()  # what a drag of the selection carries
    mime = tab.model.mimeData(rows)
    assert _drop_on(qtbot, sidebar, to_read, mime)
    qtbot.waitUntil(lambda: ("  To read", "1") in _rows(sidebar), timeout=10000)
    assert service.collections.document_ids(to_read) == [doc_id]

    # search hits drag too, through the model's drop
    window.search_tab.box.setText("hengqin")
    window.search_tab.search_now()
    qtbot.waitUntil(lambda: window.search_tab.model.rowCount() > 0, timeout=10000)
    hit = window.search_tab.model.index(0, 0)
    hit_mime = window.search_tab.model.mimeData([hit])
    target = sidebar.model.index_of(to_read)
    assert sidebar.model.canDropMimeData(hit_mime, Qt.DropAction.CopyAction, -1, -1, target)
    assert sidebar.model.dropMimeData(hit_mime, Qt.DropAction.CopyAction, -1, -1, target)
    expected = len({doc_id, window.search_tab.model.hit(0).id})
    qtbot.waitUntil(lambda: ("  To read", str(expected)) in _rows(sidebar), timeout=10000)
    # a saved search takes no drops
    service.collections.save_search("Hengqin", "hengqin")
    qtbot.waitUntil(lambda: sidebar.model.index_of(service.collections.find("Hengqin").id).isValid(), timeout=10000)
    saved = sidebar.model.index_of(service.collections.find("Hengqin").id)
    assert not sidebar.model.canDropMimeData(hit_mime, Qt.DropAction.CopyAction, -1, -1, saved)

    idle(qtbot, window)
    press(qtbot, window, Qt.Key.Key_Z)  # undo the saved search, then the drop of the hit
    press(qtbot, window, Qt.Key.Key_Z)
    qtbot.waitUntil(lambda: ("  To read", "1") in _rows(sidebar), timeout=10000)


def test_rename_new_and_delete_through_the_right_click_menu(qtbot, window, tmp_path, monkeypatch):
    service = window.service
    service.collections.collect(service.documents.document_ids()[:1], "Reading")
    sidebar = window.sidebar
    qtbot.waitUntil(lambda: ("  Reading", "1") in _rows(sidebar), timeout=10000)
    reading = service.collections.find("Reading").id
    _click(qtbot, sidebar, reading)
    qtbot.waitUntil(lambda: window.all_tab.chip.text() == "Collection: Reading")

    index = sidebar.model.index_of(reading)
    right_click(qtbot, sidebar.view, sidebar.view.visualRect(index).center())
    menu = sidebar.context_menu
    qtbot.waitUntil(menu.isVisible)
    assert [a.text().replace("&", "") for a in menu.actions() if not a.isSeparator()] == [
        "Open", "Rename…", "New sub-collection…", "Export…", "Delete", "New collection…"]
    choose(qtbot, menu, "Rename")
    _name_dialog(qtbot, sidebar, "Reading list")
    qtbot.waitUntil(lambda: ("  Reading list", "1") in _rows(sidebar), timeout=10000)
    assert window.all_tab.chip.text() == "Collection: Reading list"  # it was shown: the chip follows

    # Export writes the collection's documents where the save dialog says
    target = tmp_path / "reading.ris"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(target), "RIS (*.ris)"))
    right_click(qtbot, sidebar.view, sidebar.view.visualRect(sidebar.model.index_of(reading)).center())
    choose(qtbot, sidebar.context_menu, "Export")
    qtbot.waitUntil(target.exists, timeout=10000)
    member = service.documents.get_document(service.collections.document_ids(reading)[0])
    qtbot.waitUntil(lambda: member.title in target.read_text(encoding="utf-8"), timeout=10000)
    assert target.read_text(encoding="utf-8").count("TY  - ") == 1

    right_click(qtbot, sidebar.view, sidebar.view.visualRect(sidebar.model.index_of(reading)).center())
    choose(qtbot, sidebar.context_menu, "New sub-collection")
    _name_dialog(qtbot, sidebar, "Chapter 3")
    qtbot.waitUntil(lambda: ("    Chapter 3", "0") in _rows(sidebar), timeout=10000)

    _click(qtbot, sidebar, reading)
    qtbot.waitUntil(lambda: window.all_tab.model.collection_id == reading)
    right_click(qtbot, sidebar.view, sidebar.view.visualRect(sidebar.model.index_of(reading)).center())
    choose(qtbot, sidebar.context_menu, "Delete")
    qtbot.waitUntil(lambda: ("COLLECTIONS", "") in _rows(sidebar) and not any("Reading" in n for n, _ in _rows(sidebar)),
                    timeout=10000)
    qtbot.waitUntil(lambda: window.all_tab.model.collection_id is None)  # the table shows everything again
    idle(qtbot, window)
    press(qtbot, window, Qt.Key.Key_Z)
    qtbot.waitUntil(lambda: ("    Chapter 3", "0") in _rows(sidebar), timeout=10000)


def test_a_saved_search_reruns_live_when_a_matching_document_is_added(qtbot, window):
    service = window.service
    window.tabs.setCurrentWidget(window.search_tab)
    window.search_tab.box.setText("insurance")
    window.search_tab.search_now()
    qtbot.waitUntil(lambda: window.search_tab.model.rowCount() > 0 or "No" in window.search_tab.status.text(),
                    timeout=10000)
    before = service.search("insurance", limit=None).total
    qtbot.mouseClick(window.search_tab.save_button, Qt.MouseButton.LeftButton)
    _name_dialog(qtbot, window.sidebar, "Insurance watch")
    qtbot.waitUntil(lambda: ("  Insurance watch", str(before)) in _rows(window.sidebar), timeout=10000)
    saved = service.collections.find("Insurance watch")
    assert (saved.kind, saved.query, saved.sort) == ("saved", "insurance", "relevance")

    _click(qtbot, window.sidebar, saved.id)
    qtbot.waitUntil(lambda: window.all_tab.model.collection_id == saved.id and not window.all_tab.model.loading)
    assert len(window.all_tab.model.ids) == before

    # a new document that matches: the count and the shown list follow by themselves
    window.ops.create_document(NewDocument(kind="report", title="Cross-border insurance in Hengqin"))
    qtbot.waitUntil(lambda: ("  Insurance watch", str(before + 1)) in _rows(window.sidebar), timeout=10000)
    qtbot.waitUntil(lambda: "Cross-border insurance in Hengqin" in titles(window.all_tab), timeout=10000)


def test_notes_are_added_edited_and_deleted_in_the_detail_pane(qtbot, window):
    tab = window.all_tab
    doc_id = select_title(qtbot, tab, BLUE_PAPER)
    panel = window.notes_panel
    qtbot.waitUntil(lambda: panel.document_id == doc_id)
    assert panel.isVisible() and panel.empty.isVisible()

    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    assert panel.editor.hasFocus() or panel.editor_box.isVisible()
    qtbot.keyClicks(panel.editor, "Check the **tamarind** figures")
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(panel.notes) == 1, timeout=10000)
    qtbot.waitUntil(lambda: not panel.editor_box.isVisible(), timeout=10000)  # once the save is done
    [note] = panel.notes
    card = panel.findChild(QFrame, f"note_{note.id}")
    assert card is not None
    qtbot.waitUntil(card.isVisible)
    assert card.findChild(QLabel, "noteTimes").text().startswith("Created ")
    [hit] = window.service.search("tamarind").hits
    assert hit.id == doc_id and hit.snippet.startswith("Note: ")

    # edit
    edit = card.findChild(QToolButton, "editNote")
    qtbot.mouseClick(edit, Qt.MouseButton.LeftButton)
    assert panel.editor.toPlainText() == "Check the **tamarind** figures"
    panel.editor.selectAll()
    qtbot.keyClicks(panel.editor, "Check the persimmon figures")
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.notes and panel.notes[0].body == "Check the persimmon figures", timeout=10000)
    qtbot.waitUntil(lambda: not panel.editor_box.isVisible(), timeout=10000)  # once the save is done
    # an empty note is refused, and the text typed stays
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    assert panel.editor_box.isVisible() and "Write something" in panel.editor_message.text()
    qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)

    # delete, then Ctrl+Z brings it back
    card = panel.findChild(QFrame, f"note_{note.id}")
    assert " · edited " in card.findChild(QLabel, "noteTimes").text()
    qtbot.mouseClick(card.findChild(QToolButton, "deleteNote"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.notes == [], timeout=10000)
    idle(qtbot, window)
    press(qtbot, window, Qt.Key.Key_Z)
    qtbot.waitUntil(lambda: [n.body for n in panel.notes] == ["Check the persimmon figures"], timeout=10000)


def test_batch_edit_many_documents_then_ctrl_z_undoes_it_in_one_step(qtbot, window):
    tab = window.all_tab
    qtbot.waitUntil(lambda: not tab.model.loading and tab.model.rowCount() >= 3)
    ids = tab.model.ids[:3]
    before = {i: window.service.documents.get_document(i) for i in ids}
    tab.select_document(ids[0])
    selection = tab.table.selectionModel()
    for doc_id in ids[1:]:
        row = tab.model.row_of(doc_id)
        rect = tab.table.visualRect(tab.model.index(row, DocumentTableModel.TITLE))
        qtbot.mouseClick(tab.table.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier,
                         rect.center())
    qtbot.waitUntil(lambda: sorted(tab.selected_ids()) == sorted(ids))
    assert len(selection.selectedRows()) == 3

    press(qtbot, window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    box = dialog(qtbot, BatchEditDialog)
    assert box.windowTitle() == "Edit 3 documents"
    box.kind.setCurrentIndex(box.kind.findData("initiative"))
    box.kind_box.setChecked(True)
    qtbot.keyClicks(box.date, "2022-05")
    assert box.date_box.isChecked()  # typing ticks it
    qtbot.keyClicks(box.organization, "Hengqin Financial Society")
    box.role.setCurrentIndex(box.role.findData("author"))
    qtbot.mouseClick(box.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    service = window.service

    def edited():
        return all(service.documents.get_document(i).kind == "initiative" for i in ids)

    qtbot.waitUntil(edited, timeout=10000)
    for doc_id in ids:
        detail = service.documents.get_document(doc_id)
        assert detail.date == "2022-05"
        assert ("Hengqin Financial Society", "author") in [(o.name, o.role) for o in detail.organizations]
    idle(qtbot, window)
    assert window.undo_action.text().replace("&", "") == "Undo Edit 3 documents"

    press(qtbot, window, Qt.Key.Key_Z)
    qtbot.waitUntil(lambda: all(service.documents.get_document(i).kind == before[i].kind for i in ids), timeout=10000)
    for doc_id in ids:
        detail = service.documents.get_document(doc_id)
        assert (detail.date, detail.organizations) == (before[doc_id].date, before[doc_id].organizations)


def test_the_sidebar_and_the_notes_show_at_1280x800(qtbot, window, tmp_path):
    """The window as the screenshots show it (they were looked at; see the report)."""
    service = window.service
    ids = service.documents.document_ids()
    service.collections.collect(ids[:3], "Hengqin/Tax policy")
    service.collections.save_search("Digital currency", "digital currency")
    service.notes.add(ids[0], "**Key point:** the pilot covers *cross-border* payments.\n\n- check the 2021 follow-up")
    qtbot.waitUntil(lambda: ("    Tax policy", "3") in _rows(window.sidebar), timeout=10000)
    _click(qtbot, window.sidebar, service.collections.find("Hengqin/Tax policy").id)
    qtbot.waitUntil(lambda: window.all_tab.model.collection_id is not None and not window.all_tab.model.loading)
    window.all_tab.select_document(ids[0])
    qtbot.waitUntil(lambda: len(window.notes_panel.notes) == 1)
    assert window.sidebar.isVisible() and window.sidebar.width() >= 150
    assert window.notes_panel.isVisible() and window.notes_panel.findChild(QFrame, f"note_{window.notes_panel.notes[0].id}")
    assert window.grab().save(str(tmp_path / "sidebar.png"))


def test_the_sidebar_gives_way_in_a_narrow_window_unless_the_user_shows_it(qtbot, window):
    assert window.sidebar.isVisible() and window.sidebar_action.isChecked()
    window.resize(900, 600)
    qtbot.waitUntil(lambda: not window.sidebar.isVisible())
    assert not window.sidebar_action.isChecked()
    window.sidebar_action.trigger()  # View > Collections sidebar
    assert window.sidebar.isVisible()
    window.resize(1280, 800)
    window.resize(950, 600)
    qtbot.wait(50)
    assert window.sidebar.isVisible()  # the user's choice holds


def test_add_to_collection_from_the_row_menu_without_dragging(qtbot, window):
    tab = window.all_tab
    doc_id = select_title(qtbot, tab, BLUE_PAPER)
    index = tab.model.index(tab.model.row_of(doc_id), DocumentTableModel.TITLE)
    right_click(qtbot, tab.table, tab.table.visualRect(index).center())
    menu = dialog(qtbot, type(window.context_menu), "documentMenu")
    choose(qtbot, menu, "Add to collection")
    _name_dialog(qtbot, window.sidebar, "Hengqin/Reading")
    qtbot.waitUntil(lambda: ("    Reading", "1") in _rows(window.sidebar), timeout=10000)
    assert window.service.collections.document_ids(window.service.collections.find("Hengqin/Reading").id) == [doc_id]
