"""GUI fixtures: the main window over a real catalog in tmp_path."""

from __future__ import annotations

import os

import pytest

# Background OCR reads the seed's scan when Tesseract is installed; the tests
# of other features must not see those writes. tests/gui/test_ocr_gui.py turns it on.
os.environ.setdefault("FINWEEK_BACKGROUND_OCR", "0")
from PySide6.QtCore import QSettings

from gui_helpers import idle

from finweek_desktop.gui.main_window import MainWindow


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, catalog, settings):
    win = MainWindow(catalog, settings=settings)
    win.resize(1280, 800)
    win.show()
    qtbot.waitExposed(win)
    idle(qtbot, win)  # the first table is listed, as the user sees it
    yield win
    # Closed here rather than by qtbot.addWidget, which closes and deletes
    # widgets before fixtures end: answers of tasks still running would
    # then come back to a deleted window.
    win.runner.wait()
    idle(qtbot, win)
    win.close()
    idle(qtbot, win)
    win.deleteLater()
    qtbot.wait(1)

