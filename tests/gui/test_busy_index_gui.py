"""Issue 11's reproduction, in the window: another process holds the search
index's writer (a long import, a reindex, the CLI beside the app) while the
user creates a document. The document is saved and the window says so (no
"Could not create the document"), the status bar says it will be searchable
in a moment, and once the index is free it is found with no repair."""

from __future__ import annotations

import subprocess
import sys

import pytest
from gui_helpers import dialog, idle, press, search, titles
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from finweek_desktop.core.changes import SAVED_NOT_YET_SEARCHABLE
from finweek_desktop.gui.dialogs import DocumentDialog

# Holds the Whoosh writer of an index until its stdin closes.
_HOLD_WRITER = """
import sys
from whoosh import index
writer = index.open_dir(sys.argv[1], indexname="catalog").writer()
print("holding", flush=True)
sys.stdin.read()
writer.cancel()
"""

TITLE = "Notes written while the index was busy"


@pytest.fixture
def holder(catalog):
    proc = subprocess.Popen([sys.executable, "-c", _HOLD_WRITER, str(catalog.paths.index)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "holding"
    yield proc
    if proc.poll() is None:
        proc.kill()
        proc.wait(30)


def test_a_document_created_while_another_process_writes_the_index_is_saved_and_searchable_later(
        qtbot, window, service, holder):
    failures = []
    window.ops.failed.connect(lambda action, error: failures.append((action, error)))
    press(qtbot, window, Qt.Key.Key_N)
    box = dialog(qtbot, DocumentDialog)
    box.kind.setCurrentIndex(box.kind.findData("report"))
    qtbot.keyClicks(box.title_edit, TITLE)
    with qtbot.waitSignal(window.ops.finished, timeout=20000):
        qtbot.mouseClick(next(b for b in box.buttons.buttons() if b.text() == "Create"), Qt.MouseButton.LeftButton)
    idle(qtbot, window)

    # Saved, and said so: the pane shows it, no error, the status bar's one line.
    assert failures == []
    assert not [w for w in window.findChildren(QMessageBox) if w.isVisible()]
    qtbot.waitUntil(lambda: window.detail.title.text() == TITLE, timeout=10000)
    assert TITLE in [d.title for d in service.documents.list_documents()]
    status = window.index_status
    assert status.isVisible() and status.text() == "Saved; it will be searchable in a moment"
    assert SAVED_NOT_YET_SEARCHABLE in status.text().lower() and "another process" in status.toolTip()
    window.grab().save("/tmp/audit11-busy-index.png")
    window.ops.hear_others()  # the window's timer, while the index is still busy: the line stays
    idle(qtbot, window)
    assert status.isVisible()

    holder.stdin.close()  # the other process ends its import
    holder.wait(30)
    window.ops.hear_others()  # what the window's timer does every 2 s
    qtbot.waitUntil(lambda: not status.isVisible(), timeout=10000)
    search(qtbot, window, "written while the index was busy")
    qtbot.waitUntil(lambda: titles(window.search_tab) == [TITLE], timeout=10000)
    assert service.integrity.check().ok
