"""An import as a researcher lives it: the document being read stays
selected, and the new rows come in as each batch is committed."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QPushButton

from finweek_desktop.gui.files import ImportDialog

from gui_helpers import BLUE_PAPER, dialog, idle, press, select_title


def memos(tmp_path, n: int) -> list:
    files = []
    for i in range(n):
        path = tmp_path / f"memo-{i:02d}.txt"
        path.write_text(f"Memo {i} on offshore clearing, number {i}.", encoding="utf-8")
        files.append(path)
    return files


def import_with_the_dialogs(qtbot, window, files, monkeypatch) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(p) for p in files], ""))
    press(qtbot, window, Qt.Key.Key_I)
    box = dialog(qtbot, ImportDialog)
    button = next(b for b in box.findChildren(QPushButton) if b.text() == "Import")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_an_import_keeps_the_document_being_read_selected(qtbot, window, service, tmp_path, monkeypatch):
    tab = window.all_tab
    doc_id = select_title(qtbot, tab, BLUE_PAPER)
    with qtbot.waitSignal(window.ops.finished, timeout=60000):
        import_with_the_dialogs(qtbot, window, memos(tmp_path, 3), monkeypatch)
    idle(qtbot, window)
    qtbot.waitUntil(lambda: tab.model.rowCount() == 12)
    assert window.detail.document_id == doc_id and window.detail.title.text() == BLUE_PAPER
    assert window.selected_ids() == [doc_id]


def test_imported_rows_appear_as_each_batch_commits(qtbot, window, service, tmp_path, monkeypatch):
    tab = window.all_tab
    before = tab.model.rowCount()
    counts = []
    tab.model.count_changed.connect(counts.append)
    with qtbot.waitSignal(window.ops.finished, timeout=120000):
        import_with_the_dialogs(qtbot, window, memos(tmp_path, 30), monkeypatch)
    idle(qtbot, window)
    qtbot.waitUntil(lambda: tab.model.rowCount() == before + 30)
    # rows were listed while the import ran: counts between none and all
    assert any(before < n < before + 30 for n in counts), counts
