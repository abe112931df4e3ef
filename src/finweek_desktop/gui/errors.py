"""Readable error dialogs and the global exception hook.

Expected failures (a bad title, an unknown tag, a file that cannot be read)
are shown as a sentence. Unexpected ones are logged with their traceback and
shown as a short apology; the traceback hides behind "Show details", never
in the user's face.
"""

from __future__ import annotations

import errno
import html
import logging
import sys
import traceback
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from ..core.catalog import ChangedMeanwhile, NotFound
from ..core.catalog.snapshots import RestoreError
from ..core.database import server_failure
from ..core.errors import CatalogFull, CatalogUnavailable, ReadOnlyCatalog
from ..core.search.index import IndexBusy, IndexDamaged
from ..core.search.query import QueryError
from ..core.startup import CatalogOpenError

log = logging.getLogger(__name__)

# Exceptions whose message is written for the user.
EXPECTED = (
    ValueError,
    NotFound,
    QueryError,
    IndexDamaged,
    IndexBusy,  # and IndexFull, IndexReadOnly: where and what to do
    CatalogOpenError,
    RestoreError,
    PermissionError,
    FileNotFoundError,
    ChangedMeanwhile,
    CatalogUnavailable,
    CatalogFull,
    ReadOnlyCatalog,
)

_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


def describe(error: BaseException) -> str:
    if isinstance(error, OSError) and error.errno in _DISK_FULL:
        where = f" holding {Path(error.filename).parent}" if error.filename else ""
        return f"The disk{where} is full: nothing more was written. Free some space there and try again."
    if isinstance(error, OSError) and error.strerror:
        where = f": {error.filename}" if error.filename else ""
        return f"{error.strerror}{where}"
    text = str(error).strip()
    return text[0].upper() + text[1:] if text else error.__class__.__name__


def is_expected(error: BaseException) -> bool:
    return isinstance(error, EXPECTED) or (isinstance(error, OSError) and error.errno in _DISK_FULL)


def show_error(parent: QWidget | None, action: str, error: BaseException) -> None:
    """Tell the user that ``action`` (e.g. "Could not rename the tag") failed."""
    error = server_failure(error) or error  # a team catalog's server away, or a role that may only read
    if isinstance(error, ChangedMeanwhile):
        log.warning("%s: %s", action, error)
        box = _conflict_box(parent, action, error)
    elif is_expected(error):
        log.warning("%s: %s", action, error)
        box = QMessageBox(QMessageBox.Icon.Warning, "Finance Week", action, QMessageBox.StandardButton.Ok, parent)
        box.setTextFormat(Qt.TextFormat.PlainText)  # a title or a file name in it is never read as markup
        box.setInformativeText(describe(error))
    else:
        log.error("%s", action, exc_info=error)
        box = _unexpected_box(parent, action, error)
    if not box.objectName():
        box.setObjectName("errorDialog")
    box.setWindowModality(Qt.WindowModality.WindowModal if parent else Qt.WindowModality.ApplicationModal)
    box.open() if parent is not None else box.exec()


def _conflict_box(parent, action: str, error: ChangedMeanwhile) -> QMessageBox:
    """Both versions side by side: what this edit would have saved, what is saved now."""
    box = QMessageBox(
        QMessageBox.Icon.Warning,
        "Finance Week",
        f"{html.escape(action)}: “{html.escape(error.title)}” was changed by someone else meanwhile",
        QMessageBox.StandardButton.Ok,
        parent,
    )
    rows = "".join(
        f"<tr><td><b>{html.escape(name)}</b></td><td>{html.escape(_shown(error.yours[name]))}</td>"
        f"<td>{html.escape(_shown(error.theirs.get(name)))}</td></tr>"
        for name in (error.differing() or list(error.yours))
    )
    box.setTextFormat(Qt.TextFormat.RichText)
    if error.undoing:  # an undo or redo: "yours" is what it would have put back
        box.setInformativeText(
            f"Nothing was undone, and nothing was overwritten. Your change made version {error.your_version}; "
            f"the document is now at version {error.their_version}."
            f"<table cellspacing='6'><tr><th></th><th align='left'>The undo would put back</th>"
            f"<th align='left'>Saved now (version {error.their_version})</th></tr>{rows}</table>"
            "Edit the document to change what is saved now."
        )
    else:
        box.setInformativeText(
            f"Nothing was saved, and nothing was overwritten. Your edit started from version {error.your_version}; "
            f"the document is now at version {error.their_version}."
            f"<table cellspacing='6'><tr><th></th><th align='left'>Your edit (version {error.your_version})</th>"
            f"<th align='left'>Saved now (version {error.their_version})</th></tr>{rows}</table>"
            "Open the document again to edit what is saved now."
        )
    box.setObjectName("conflictDialog")
    return box


def _shown(value) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 200 else text[:200] + "…"


def _unexpected_box(parent, action: str, error: BaseException) -> QMessageBox:
    box = QMessageBox(QMessageBox.Icon.Critical, "Finance Week", action, QMessageBox.StandardButton.Ok, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setInformativeText(
        f"Something went wrong that the application did not expect ({describe(error)}). "
        "Your catalog is safe: every change is saved as it is made. "
        "The details below were written to the log."
    )
    box.setDetailedText("".join(traceback.format_exception(type(error), error, error.__traceback__)))
    return box


class ExceptionHook(QObject):
    """Installed as sys.excepthook: logs, then shows a dialog on the main thread."""

    raised = Signal(object)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._previous = sys.excepthook
        self._showing = False
        self.raised.connect(self._show)

    def install(self) -> None:
        sys.excepthook = self._hook

    def uninstall(self) -> None:
        sys.excepthook = self._previous

    def _hook(self, exc_type, exc, tb) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            QApplication.quit()
            return
        log.error("uncaught exception", exc_info=(exc_type, exc, tb))
        self.raised.emit(exc)  # queued to the main thread if raised elsewhere

    def _show(self, error: BaseException) -> None:
        if self._showing:  # one dialog at a time; the rest are in the log
            return
        self._showing = True
        try:
            box = _unexpected_box(QApplication.activeWindow(), "An unexpected error occurred", error)
            box.setObjectName("errorDialog")
            box.exec()
        finally:
            self._showing = False
