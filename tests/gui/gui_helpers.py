"""Helpers for the GUI tests: waiting for the app, finding its dialogs and
doing what a user does (clicking a row, typing a shortcut, dropping files)."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QContextMenuEvent, QDragEnterEvent, QDropEvent, QInputMethodEvent
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox, QWidget

from finweek_desktop.gui.models import DocumentTableModel

BLUE_PAPER = "2020 Digital Currency Blue Paper"


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
    matches = [d.id for d in service.documents.list_documents() if title_part.lower() in d.title.lower()]
    assert len(matches) == 1, matches
    return matches[0]


def titles(tab) -> list[str]:
    return [tab.model.index(r, DocumentTableModel.TITLE).data() for r in range(tab.model.rowCount())]


def select_title(qtbot, tab, title_part: str) -> int:
    """Click the row of a browsing tab whose title contains ``title_part``."""
    qtbot.waitUntil(lambda: not tab.model.loading, timeout=10000)
    model = tab.model
    for row in range(model.rowCount()):
        if title_part.lower() in model.index(row, DocumentTableModel.TITLE).data().lower():
            rect = tab.table.visualRect(model.index(row, DocumentTableModel.TITLE))
            qtbot.mouseClick(tab.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
            return model.id_at(row)
    raise AssertionError(f"no row titled like {title_part!r}")


def press(qtbot, window, key, modifier=Qt.KeyboardModifier.ControlModifier) -> None:
    """A keyboard shortcut, typed once the window is the active one again (after a dialog)."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(QApplication.focusWidget() or window, key, modifier)


def search(qtbot, window, text: str) -> None:
    """Ctrl+F, then type ``text`` into the search box."""
    press(qtbot, window, Qt.Key.Key_F)
    assert window.tabs.currentWidget() is window.search_tab
    box = window.search_tab.box
    box.clear()
    qtbot.keyClicks(box, text)


def drop(widget, pos: QPoint, paths) -> bool:
    """What a widget sees when files are dragged from a file manager and
    dropped on it; returns whether the drop was accepted."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    enter = QDragEnterEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    event = QDropEvent(QPointF(pos), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)
    return event.isAccepted()


def opaque_pixels(pixmap) -> int:
    image = pixmap.toImage()
    return sum(1 for x in range(image.width()) for y in range(image.height()) if image.pixelColor(x, y).alpha() > 60)


def right_click(qtbot, view, pos: QPoint) -> None:
    """A right-click at ``pos`` in an item view's viewport (or any widget):
    the press and release, then the context menu event the platform sends."""
    widget = view.viewport() if hasattr(view, "viewport") else view
    qtbot.mousePress(widget, Qt.MouseButton.RightButton, pos=pos)
    qtbot.mouseRelease(widget, Qt.MouseButton.RightButton, pos=pos)
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, widget.mapToGlobal(pos))
    QApplication.sendEvent(widget, event)


def menu_texts(menu: QMenu) -> list[str]:
    """The entries of a menu as shown, without accelerators and shortcuts."""
    return [a.text().replace("&", "").split("\t")[0] for a in menu.actions() if not a.isSeparator()]


def choose(qtbot, menu: QMenu, text: str) -> None:
    """Click the entry of an open menu that starts with ``text``."""
    action = next(a for a in menu.actions() if a.text().replace("&", "").startswith(text))
    assert action.isEnabled(), f"{text!r} is disabled"
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())


def type_text(qtbot, widget, text: str) -> None:
    """Type ``text``: key by key where keys exist, through the input method
    (as a Chinese or accented word arrives from an IME) where they do not."""
    for ch in text:
        if ch.isascii():
            qtbot.keyClicks(widget, ch)
        else:
            event = QInputMethodEvent()
            event.setCommitString(ch)
            QApplication.sendEvent(widget, event)
