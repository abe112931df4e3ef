"""Browsing tabs: lists rebuilt off the UI thread, columns that say something."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt

from finweek_desktop.gui.models import DocumentTableModel

from gui_helpers import BLUE_PAPER, idle, select_title, titles


def test_tag_changes_and_tab_switches_list_the_documents_off_the_ui_thread(qtbot, window, service, monkeypatch):
    original = service.documents.document_ids
    on_ui_thread = []

    def recording(*args, **kwargs):
        on_ui_thread.append(threading.current_thread() is threading.main_thread())
        return original(*args, **kwargs)

    monkeypatch.setattr(service.documents, "document_ids", recording)
    select_title(qtbot, window.all_tab, BLUE_PAPER)
    line = window.detail.tags.line
    qtbot.keyClicks(line, "to-review")
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        qtbot.keyClick(line, Qt.Key.Key_Return)  # a tag change: the lists are rebuilt
    idle(qtbot, window)
    window.tabs.bar.setCurrentIndex(2)  # Blue papers, listed for the first time
    qtbot.waitUntil(lambda: titles(window.blue_tab) == [BLUE_PAPER])
    window.tabs.bar.setCurrentIndex(0)
    idle(qtbot, window)
    assert on_ui_thread and not any(on_ui_thread)
    # and the selection survived the rebuilt list
    assert window.all_tab.current_id() == window.detail.document_id
    assert window.detail.title.text() == BLUE_PAPER


def test_the_session_records_tab_has_no_kind_column(qtbot, window):
    window.tabs.setCurrentWidget(window.sessions_tab)
    idle(qtbot, window)
    table = window.sessions_tab.table
    assert table.isColumnHidden(DocumentTableModel.KIND)
    assert not window.all_tab.table.isColumnHidden(DocumentTableModel.KIND)
