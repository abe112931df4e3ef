"""The look: icons that show when disabled, readable secondary text, and a
window that follows a light/dark switch while it runs."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication, QToolButton

from gui_helpers import opaque_pixels


def test_a_disabled_icon_still_shows(qtbot, window):
    # Nothing to undo yet: the toolbar's Undo button is disabled but keeps its icon.
    assert not window.undo_action.isEnabled()
    button = next(b for b in window.findChildren(QToolButton) if b.defaultAction() is window.undo_action)
    pixmap = button.icon().pixmap(QSize(24, 24), QIcon.Mode.Disabled)
    assert opaque_pixels(pixmap) > 10
    # fainter than the enabled one, though
    normal = button.icon().pixmap(QSize(24, 24)).toImage()
    disabled = pixmap.toImage()
    strongest = lambda image: max(image.pixelColor(x, y).alpha() for x in range(24) for y in range(24))  # noqa: E731
    assert strongest(disabled) < strongest(normal)
