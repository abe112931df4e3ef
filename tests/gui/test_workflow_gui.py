"""The researcher's workflow in the window (issue 13), driven as a user
would: batch edit of several selected rows undone in one Ctrl+Z; a reference
import and a folder import undone and redone as one step; the window keeps
answering (its event loop runs, a QTimer ticks) while File → Export of every
document and a backup are under way on their workers."""

from __future__ import annotations

import threading

from gui_helpers import dialog, idle, press, titles
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QComboBox, QFileDialog, QLabel, QMessageBox, QPushButton

from finweek_desktop.gui import backups as backups_module
from finweek_desktop.gui.batch_edit import BatchEditDialog
from finweek_desktop.gui.files import ImportDialog
from finweek_desktop.gui.models import DocumentTableModel

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def click_row(qtbot, tab, doc_id: int, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    row = tab.model.row_of(doc_id)
    rect = tab.table.visualRect(tab.model.index(row, DocumentTableModel.TITLE))
    qtbot.mouseClick(tab.table.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())


def pick(qtbot, combo: QComboBox, data) -> None:
    """Open a combo box's list and click the entry holding ``data``."""
    combo.showPopup()
    view = combo.view()
    qtbot.waitUntil(view.isVisible)
    index = view.model().index(combo.findData(data), 0)
    view.scrollTo(index)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(index).center())
    qtbot.waitUntil(lambda: not view.isVisible())
    assert combo.currentData() == data


def cell(tab, doc_id: int, column: int) -> str:
    return tab.model.index(tab.model.row_of(doc_id), column).data()


def state(service, doc_id: int):
    d = service.documents.get_document(doc_id)
    return d.kind, d.date, d.session_id, sorted((o.name, o.role) for o in d.organizations)


# -- batch edit -----------------------------------------------------------------------


def test_batch_edit_of_selected_rows_shows_everywhere_and_one_undo_restores_them(qtbot, window, service):
    tab = window.all_tab
    qtbot.waitUntil(lambda: not tab.model.loading, timeout=10000)
    ids = [tab.model.id_at(row) for row in (0, 2, 4)]
    before = {doc_id: state(service, doc_id) for doc_id in ids}
    click_row(qtbot, tab, ids[0])
    click_row(qtbot, tab, ids[1], Qt.KeyboardModifier.ControlModifier)
    click_row(qtbot, tab, ids[2], Qt.KeyboardModifier.ControlModifier)
    assert sorted(window.selected_ids()) == sorted(ids)

    press(qtbot, window, Qt.Key.Key_E, CTRL_SHIFT)
    box = dialog(qtbot, BatchEditDialog)
    assert box.windowTitle() == "Edit 3 documents"
    session = service.reference.sessions()[-1]
    pick(qtbot, box.kind, "initiative")
    qtbot.mouseClick(box.date, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(box.date, "2021-05")
    pick(qtbot, box.session, session.id)
    qtbot.mouseClick(box.organization, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(box.organization, "Macao Monetary Authority")
    pick(qtbot, box.role, "editor")
    # touching a field ticks it
    assert all(b.isChecked() for b in (box.kind_box, box.date_box, box.session_box, box.org_box))
    apply = next(b for b in box.findChildren(QPushButton) if b.text() == "Apply")
    with qtbot.waitSignal(window.ops.finished, timeout=20000):
        qtbot.mouseClick(apply, Qt.MouseButton.LeftButton)
    idle(qtbot, window)
    assert not box.isVisible()

    for doc_id in ids:
        kind, date, session_id, organizations = state(service, doc_id)
        assert (kind, date, session_id) == ("initiative", "2021-05", session.id)
        assert ("Macao Monetary Authority", "editor") in organizations
    # the table shows it, on every edited row
    qtbot.waitUntil(lambda: all(cell(tab, i, DocumentTableModel.DATE) == "2021-05" for i in ids), timeout=10000)
    for doc_id in ids:
        assert cell(tab, doc_id, DocumentTableModel.KIND) == "Initiative"
        assert "Macao Monetary Authority" in cell(tab, doc_id, DocumentTableModel.ORGANIZATIONS)
    # and so does the detail pane, for the document it shows
    shown = window.detail.document_id
    assert shown in ids
    qtbot.waitUntil(lambda: "Macao Monetary Authority" in window.detail.organizations.text(), timeout=10000)
    assert "editor" in window.detail.organizations.text()
    assert window.detail.kind.text() == "INITIATIVE"
    assert window.detail.findChild(QLabel, "field_date").text() == "2021-05"
    assert window.detail.findChild(QLabel, "field_session").text() == session.name
    assert window.undo_action.isEnabled() and "Edit 3 documents" in window.undo_action.toolTip()

    # one Ctrl+Z restores all three
    with qtbot.waitSignal(window.ops.finished, timeout=20000):
        press(qtbot, window, Qt.Key.Key_Z)
    idle(qtbot, window)
    assert {doc_id: state(service, doc_id) for doc_id in ids} == before
    qtbot.waitUntil(
        lambda: all(cell(tab, i, DocumentTableModel.DATE) == (before[i][1] or "") for i in ids), timeout=10000
    )
    assert all("Macao Monetary Authority" not in cell(tab, i, DocumentTableModel.ORGANIZATIONS) for i in ids)
    qtbot.waitUntil(lambda: "Macao Monetary Authority" not in window.detail.organizations.text(), timeout=10000)


def test_batch_edit_refuses_a_bad_date_in_the_dialog_and_changes_nothing(qtbot, window, service):
    tab = window.all_tab
    qtbot.waitUntil(lambda: not tab.model.loading, timeout=10000)
    window.all_tab.table.selectAll()
    before = {d.id: state(service, d.id) for d in service.documents.list_documents()}
    press(qtbot, window, Qt.Key.Key_E, CTRL_SHIFT)
    box = dialog(qtbot, BatchEditDialog)
    qtbot.mouseClick(box.date, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(box.date, "next spring")
    apply = next(b for b in box.findChildren(QPushButton) if b.text() == "Apply")
    qtbot.mouseClick(apply, Qt.MouseButton.LeftButton)
    assert box.isVisible() and box.error.text()
    assert "\n" not in box.error.text() and "Traceback" not in box.error.text()
    box.reject()
    idle(qtbot, window)
    assert {d.id: state(service, d.id) for d in service.documents.list_documents()} == before


# -- imports undone as one step -----------------------------------------------------------


BIBTEX = r"""
@techreport{one, title = {Offshore Clearing in Hengqin}, year = {2022}, author = {Lee, Ka Wai}}
@book{two, title = {Macao Financial Yearbook}, year = {2021}, editor = {{Macao Monetary Authority}}}
@misc{three, title = {Opening Address on Green Finance}, date = {2020-11-19}}
"""


def test_a_reference_import_is_undone_and_redone_in_one_step_from_the_edit_menu(
    qtbot, window, service, tmp_path, monkeypatch
):
    path = tmp_path / "zotero.bib"
    path.write_text(BIBTEX, encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(path)], ""))
    tab = window.all_tab
    before = sorted(titles(tab))
    with qtbot.waitSignal(window.ops.finished, timeout=60000):
        window.import_refs_action.trigger()
    idle(qtbot, window)
    qtbot.waitUntil(lambda: tab.model.rowCount() == len(before) + 3, timeout=10000)
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    for box in boxes:
        box.close()
    assert window.undo_action.isEnabled() and "Import 3 references" in window.undo_action.toolTip()

    with qtbot.waitSignal(window.ops.finished, timeout=20000):
        window.undo_action.trigger()  # Edit → Undo
    idle(qtbot, window)
    qtbot.waitUntil(lambda: sorted(titles(tab)) == before, timeout=10000)
    assert service.search("Offshore Clearing").total == 0
    assert "Import 3 references" in window.redo_action.toolTip() + window.redo_action.text()

    with qtbot.waitSignal(window.ops.finished, timeout=20000):
        press(qtbot, window, Qt.Key.Key_Z, CTRL_SHIFT)  # Redo
    idle(qtbot, window)
    qtbot.waitUntil(lambda: tab.model.rowCount() == len(before) + 3, timeout=10000)
    assert {"Offshore Clearing in Hengqin", "Macao Financial Yearbook"} <= set(titles(tab))


def test_a_folder_import_is_undone_in_one_step(qtbot, window, service, tmp_path, monkeypatch):
    folder = tmp_path / "forum"
    (folder / "day2").mkdir(parents=True)
    for name in ("speech.txt", "day2/panel.txt", "day2/closing.txt"):
        (folder / name).write_text(f"{name} on catastrophe bonds", encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    tab = window.all_tab
    before = tab.model.rowCount()
    window.import_folder_action.trigger()
    box = dialog(qtbot, ImportDialog)
    button = next(b for b in box.findChildren(QPushButton) if b.text() == "Import")
    with qtbot.waitSignal(window.ops.finished, timeout=60000):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    idle(qtbot, window)
    qtbot.waitUntil(lambda: tab.model.rowCount() == before + 3, timeout=10000)
    assert "Import 3 documents" in window.undo_action.toolTip()
    with qtbot.waitSignal(window.ops.finished, timeout=20000):
        press(qtbot, window, Qt.Key.Key_Z)
    idle(qtbot, window)
    qtbot.waitUntil(lambda: tab.model.rowCount() == before, timeout=10000)
    assert service.search("catastrophe").total == 0


# -- the window answers while export and backup run -----------------------------------------


class Ticks:
    """A QTimer on the window's thread, and a gate a worker waits at until
    the timer has ticked a few more times: the worker goes on only if the
    event loop runs while it works. If the work blocked the window, the gate
    would never open; it gives up after a while and says so."""

    def __init__(self, needed: int = 5):
        self.count = 0
        self.needed = needed
        self.waiting_from: int | None = None
        self.opened = threading.Event()
        self.gave_up = False
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        self.count += 1
        if self.waiting_from is not None and self.count - self.waiting_from >= self.needed:
            self.opened.set()

    def wait_for_ticks(self) -> None:
        """Called on the worker, in the middle of its work."""
        if self.waiting_from is None:
            self.waiting_from = self.count
            if not self.opened.wait(30):
                self.gave_up = True


def test_export_of_every_document_and_a_backup_leave_the_window_responsive(
    qtbot, window, service, tmp_path, monkeypatch
):
    ticks = Ticks()
    target = tmp_path / "all.bib"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "BibTeX (*.bib)"))
    bibliography = type(service.bibliography)
    real_records = bibliography.records

    def records(self, ids):  # the real rows, the worker pausing after the first until the window has ticked
        for n, record in enumerate(real_records(self, ids)):
            yield record
            if n == 0:
                ticks.wait_for_ticks()

    monkeypatch.setattr(bibliography, "records", records)
    tab = window.all_tab
    qtbot.waitUntil(lambda: not tab.model.loading, timeout=10000)
    tab.table.setFocus()
    press(qtbot, window, Qt.Key.Key_A)  # select every document
    every = len(service.documents.list_documents())
    assert len(window.selected_ids()) == every
    window.export_action.trigger()  # File → Export…
    qtbot.waitUntil(lambda: "Exported" in window.statusBar().currentMessage(), timeout=60000)
    idle(qtbot, window)
    assert ticks.opened.is_set() and not ticks.gave_up, "the window's event loop stopped during the export"
    assert target.read_text(encoding="utf-8").count("\n@") + 1 == every
    assert f"Exported {every} documents" in window.statusBar().currentMessage()

    # Back up now…: the same, the worker pausing at its first progress report
    backup_ticks = Ticks()
    real_take_backup = backups_module.take_backup

    def take_backup(paths, settings, progress=None, stop=None):
        def reported(stage, done, total):
            backup_ticks.wait_for_ticks()
            if progress is not None:
                progress(stage, done, total)

        return real_take_backup(paths, settings, reported, stop=stop)

    monkeypatch.setattr(backups_module, "take_backup", take_backup)
    monkeypatch.setenv("FINWEEK_BACKUP_DIR", str(tmp_path / "backups"))
    monkeypatch.setenv("FINWEEK_BACKUP_KEEP", "3")
    window.backups.now_action.trigger()
    qtbot.waitUntil(lambda: "Backed up" in window.statusBar().currentMessage(), timeout=60000)
    idle(qtbot, window)
    assert backup_ticks.opened.is_set() and not backup_ticks.gave_up, "the event loop stopped during the backup"
    archives = list((tmp_path / "backups").iterdir())
    assert len(archives) == 1 and archives[0].stat().st_size > 0
    ticks.timer.stop()
    backup_ticks.timer.stop()


# -- GB/T 7714 in-text citation of a selection ----------------------------------------------


def test_copy_citation_of_four_selected_rows_in_gb7714_is_a_range(qtbot, window):
    from PySide6.QtWidgets import QApplication

    tab = window.all_tab
    qtbot.waitUntil(lambda: not tab.model.loading, timeout=10000)
    ids = [tab.model.id_at(row) for row in range(4)]
    click_row(qtbot, tab, ids[0])
    for doc_id in ids[1:]:
        click_row(qtbot, tab, doc_id, Qt.KeyboardModifier.ControlModifier)
    clipboard = QApplication.clipboard()
    clipboard.clear()
    window.copy_citation_action.trigger()  # GB/T 7714 by default
    qtbot.waitUntil(lambda: clipboard.text() != "", timeout=10000)
    idle(qtbot, window)
    assert clipboard.text() == "[1-4]"
    assert "<sup>[1-4]</sup>" in clipboard.mimeData().html()
