"""The window as a whole: small screens, state kept across a restart, one
instance per catalog, errors a person can read."""

from __future__ import annotations

import logging
import sys

import pytest
from PySide6.QtCore import QByteArray, Qt
from PySide6.QtWidgets import QMessageBox

from finweek_desktop.gui import app as app_module
from finweek_desktop.gui.main_window import MainWindow
from finweek_desktop.gui.models import DocumentTableModel

from gui_helpers import BLUE_PAPER, dialog, idle, search, select_title


def test_the_window_fits_a_900_by_600_screen(qtbot, window):
    window.resize(900, 600)
    for index in range(window.tabs.count()):  # no tab keeps the others from going narrow
        if window.tabs.widget(index) is not window.tags_tab:
            assert window.tabs.widget(index).minimumSizeHint().width() < 500
    select_title(qtbot, window.all_tab, "3rd Shizimen Finance Week")  # a document with files and a preview
    idle(qtbot, window)
    table = window.all_tab.table
    qtbot.waitUntil(lambda: table.columnWidth(DocumentTableModel.TITLE) >= table.TITLE_ROOM)  # titles stay readable
    assert table.isColumnHidden(DocumentTableModel.ORGANIZATIONS)  # the first to give way
    assert not table.isColumnHidden(DocumentTableModel.TAGS)
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        idle(qtbot, window)
        assert window.minimumSizeHint().width() <= 900, window.tabs.tabText(index)
    search(qtbot, window, "digital currency")
    qtbot.waitUntil(lambda: window.search_tab.model.rowCount() > 0, timeout=10000)
    search(qtbot, window, "nosuchfield:x")  # the long error message wraps
    qtbot.waitUntil(lambda: window.search_tab.message.isVisible(), timeout=10000)
    assert window.minimumSizeHint().width() <= 900
    qtbot.waitUntil(lambda: window.width() == 900 and window.height() == 600)
    window.resize(1280, 800)  # room again: the columns come back
    window.tabs.setCurrentWidget(window.all_tab)
    qtbot.waitUntil(lambda: not table.isColumnHidden(DocumentTableModel.ORGANIZATIONS))


def test_geometry_splitters_and_columns_persist_across_a_restart(qtbot, catalog, settings):
    # within the offscreen platform's 800×600 screen, which restoreGeometry() respects
    first = MainWindow(catalog, settings=settings)
    qtbot.addWidget(first)
    first.resize(780, 560)
    first.show()
    qtbot.waitExposed(first)
    idle(qtbot, first)
    first.splitter.setSizes([430, 340])
    first.search_tab.splitter.setSizes([150, 270])
    first.sessions_tab.splitter.setSizes([190, 240])
    first.tabs.setCurrentWidget(first.search_tab)
    main_sizes = first.splitter.sizes()
    search_sizes = first.search_tab.splitter.sizes()
    first.close()  # as the user quits
    idle(qtbot, first)
    assert isinstance(settings.value("window/geometry"), QByteArray)

    second = MainWindow(catalog, settings=settings)
    qtbot.addWidget(second)
    second.show()
    qtbot.waitExposed(second)
    idle(qtbot, second)
    assert (second.width(), second.height()) == (780, 560)
    assert second.tabs.currentWidget() is second.search_tab
    assert second.splitter.sizes() == main_sizes
    assert second.search_tab.splitter.sizes() == search_sizes
    second.tabs.setCurrentWidget(second.sessions_tab)
    idle(qtbot, second)
    assert abs(second.sessions_tab.splitter.sizes()[0] - 190) <= 2
    second.close()
    idle(qtbot, second)


@pytest.fixture
def quiet_logging():
    """app.main() sets up logging for a real run; leave the root logger as it was."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def test_a_second_instance_is_refused_with_a_message(qtbot, tmp_path, monkeypatch, quiet_logging):
    data = tmp_path / "catalog"
    data.mkdir()
    first = app_module.SingleInstance(data)
    assert first.acquire()
    shown = []
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text, *a: shown.append(text))
    hook_before = sys.excepthook
    try:
        code = app_module.main(["--data-dir", str(data)])
        hook_after = sys.excepthook
    finally:
        sys.excepthook = hook_before
        first.release()
    assert code == 2
    (text,) = shown
    assert "already open in another Finance Week window" in text and str(data) in text
    assert "Traceback" not in text
    assert hook_after is hook_before  # the hook went away with the refused instance


def test_an_unexpected_error_shows_a_readable_dialog(qtbot, window, service, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database is locked by another program")

    monkeypatch.setattr(service.tags, "rename_tag", broken)
    window.tabs.setCurrentWidget(window.tags_tab)
    qtbot.waitUntil(lambda: window.tags_tab.select_tag("fintech"))
    qtbot.mouseClick(window.tags_tab.rename_button, Qt.MouseButton.LeftButton)
    box = dialog(qtbot, name="tagNameDialog")
    box.edit.selectAll()
    qtbot.keyClicks(box.edit, "financial-technology")
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        qtbot.keyClick(box.edit, Qt.Key.Key_Return)
    error = dialog(qtbot, QMessageBox, "errorDialog")
    assert error.text() == "Could not rename the tag “fintech”"
    assert "database is locked by another program" in error.informativeText().lower()
    for text in (error.text(), error.informativeText()):
        assert "Traceback" not in text and "RuntimeError" not in text and 'File "' not in text
    assert "Traceback" in error.detailedText()  # behind "Show details…"
    error.done(0)


def test_an_expected_error_is_one_sentence(qtbot, window, service, monkeypatch):
    def refused(*args, **kwargs):
        raise ValueError("a tag name cannot be longer than 60 characters")

    monkeypatch.setattr(service.tags, "add_tag", refused)
    select_title(qtbot, window.all_tab, BLUE_PAPER)
    line = window.detail.tags.line
    qtbot.keyClicks(line, "x" * 70)
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        qtbot.keyClick(line, Qt.Key.Key_Return)
    error = dialog(qtbot, QMessageBox, "errorDialog")
    assert error.informativeText() == "A tag name cannot be longer than 60 characters"
    assert not error.detailedText()
    error.done(0)
