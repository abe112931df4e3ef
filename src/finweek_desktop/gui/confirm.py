"""Dialog buttons: plain, without the tick and cross some styles put on
OK/Yes and Cancel (a green tick reads as "all good" on a button that
deletes), and asking before something is destroyed: a warning with a button
named after the action ("Delete", "Remove") and Cancel as the default."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QAbstractButton, QDialogButtonBox, QMessageBox, QWidget


def plain_buttons(dialog: QWidget) -> None:
    """No icons on the buttons of the button boxes in ``dialog``."""
    for box in dialog.findChildren(QDialogButtonBox):
        for button in box.findChildren(QAbstractButton):
            button.setIcon(QIcon())


def confirm_destructive(
    parent: QWidget, name: str, title: str, text: str, informative: str, action: str, on_confirm: Callable[[], object]
) -> QMessageBox:
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.NoButton, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)  # a document's title in it is never read as markup
    box.setObjectName(name)
    box.setInformativeText(informative)
    go = box.addButton(action, QMessageBox.ButtonRole.DestructiveRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    for button in (go, cancel):
        button.setIcon(QIcon())
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    box.finished.connect(lambda _result: box.clickedButton() is go and on_confirm())
    box.open()
    return box
