"""Asking before something is destroyed: a warning with a plain button
named after the action ("Delete", "Remove") and Cancel as the default.

Plain, because the style's "Yes" button carries a green tick, which reads as
"all good" on a button that deletes."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QMessageBox, QWidget


def confirm_destructive(parent: QWidget, name: str, title: str, text: str, informative: str, action: str,
                        on_confirm: Callable[[], object]) -> QMessageBox:
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.NoButton, parent)
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
