"""Helpers for the GUI tests: waiting for the app and finding its dialogs."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget


def idle(qtbot, win) -> None:
    """Wait until every background task has called back."""
    qtbot.waitUntil(lambda: win.runner.pending == 0, timeout=20000)


def dialog(qtbot, cls: type = QWidget, name: str | None = None):
    """The visible top-level dialog of ``cls`` (and object name), once it shows."""
    found = []

    def shown():
        found[:] = [
            w for w in QApplication.topLevelWidgets()
            if isinstance(w, cls) and w.isVisible() and (name is None or w.objectName() == name)
        ]
        return bool(found)

    qtbot.waitUntil(shown, timeout=5000)
    return found[-1]


def click_message_button(qtbot, name: str, role_text: str) -> None:
    box = dialog(qtbot, QMessageBox, name)
    button = next(b for b in box.buttons() if b.text().replace("&", "") == role_text)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def seeded_id(service, title_part: str) -> int:
    matches = [d.id for d in service.list_documents() if title_part.lower() in d.title.lower()]
    assert len(matches) == 1, matches
    return matches[0]
