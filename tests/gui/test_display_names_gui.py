"""Names that spoof the eye (issue 17, item 11): a right-to-left override
or a control character in a title or a file name is shown escaped in the
window's tables, its detail pane and its file strip; the stored name is kept."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from gui_helpers import idle, search, select_title
from test_attachment_samples import write

from finweek_desktop.core.records import NewDocument
from finweek_desktop.gui.main_window import MainWindow
from finweek_desktop.gui.models import DocumentTableModel

TITLE = "Fund\u202etroper\x1b[31m"
NAME = "report\u202efdp.exe.txt"  # displayed raw as "reporttxt.exe.pdf"


@pytest.fixture
def hostile_window(qtbot, catalog, settings, tmp_path):
    doc = catalog.service.attachments.create_document_with_files(
        NewDocument(kind="report", title=TITLE), [write(tmp_path / NAME, "Minutes of the spoofing session")])
    win = MainWindow(catalog, settings=settings)
    win.resize(1280, 800)
    win.show()
    qtbot.waitExposed(win)
    idle(qtbot, win)
    yield win, doc
    win.runner.wait()
    idle(qtbot, win)
    win.close()
    idle(qtbot, win)
    win.deleteLater()
    qtbot.wait(1)


def test_titles_and_file_names_are_shown_escaped(qtbot, hostile_window, service):
    window, doc = hostile_window
    doc_id = select_title(qtbot, window.all_tab, "Fund\\u202e")
    assert doc_id == doc.id
    idle(qtbot, window)
    model = window.all_tab.model
    row = next(r for r in range(model.rowCount()) if model.id_at(r) == doc.id)
    cell = model.index(row, DocumentTableModel.TITLE)
    assert cell.data() == "Fund\\u202etroper\\x1b[31m"
    assert cell.data(Qt.ItemDataRole.ToolTipRole) == "Fund\\u202etroper\\x1b[31m"
    assert window.detail.title.text() == "Fund\\u202etroper\\x1b[31m"
    item = window.detail.attachments.item(0)
    assert item.text().startswith("report\\u202efdp.exe.txt\n")
    assert "\u202e" not in item.toolTip()
    assert service.documents.get_document(doc.id).attachments[0].original_name == NAME  # stored as it was

    search(qtbot, window, "spoofing")
    hits = window.search_tab.model
    qtbot.waitUntil(lambda: hits.rowCount() == 1, timeout=10000)
    assert hits.index(0, 0).data() == "Fund\\u202etroper\\x1b[31m"
