"""One line in the status bar while what was saved is not searchable yet,
hidden otherwise:

- the search index cannot be written (a read-only folder, a full disk):
  the line names the folder and what to do; while it shows, the folder is
  asked again every few seconds, so the line goes once it is writable (or
  has room);
- otherwise, after a write the index could not take at once (another
  process writing it: a long import, a reindex, the CLI beside the app):
  "Saved; it will be searchable in a moment", until the window's follower
  (``Operations.hear_others``, every few seconds) has applied every change
  waiting in the log.

It listens to ``Operations.catalog_changed``: a ChangeSet that is not
searchable yet is the moment to ask why; and to ``Operations.index_followed``.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel, QStatusBar

from ..core.changes import SAVED_NOT_YET_SEARCHABLE, ChangeSet
from ..core.search.index import SearchIndex
from .operations import Operations

RECHECK_MS = 5000
BUSY_TEXT = SAVED_NOT_YET_SEARCHABLE.capitalize()  # the CLI's words
BUSY_TIP = (
    "The search index could not take the change at once (another process was writing it, "
    "or its folder was read-only); it waits in the catalog's change log and is applied by itself."
)


class IndexStatus(QLabel):
    def __init__(self, ops: Operations, index: SearchIndex, bar: QStatusBar):
        super().__init__()
        self.setObjectName("indexStatus")
        self.setWordWrap(False)
        self._index = index
        self._waiting = False  # a write not searchable yet, the index not caught up since
        self._recheck = QTimer(self, interval=RECHECK_MS)
        self._recheck.timeout.connect(self.refresh)
        ops.catalog_changed.connect(self._changed)
        ops.index_followed.connect(self._followed)
        bar.addPermanentWidget(self, 1)
        self.refresh()

    def _changed(self, changes: ChangeSet) -> None:
        if not changes.searchable:
            self._waiting = True
        if not changes.searchable or self.isVisible():
            self.refresh()

    def _followed(self, up_to_date: bool) -> None:
        if up_to_date and self._waiting:
            self._waiting = False
            self.refresh()

    def refresh(self) -> None:
        problem = self._index.write_problem()
        if problem is None:
            self._recheck.stop()
            if self._waiting:
                self.setText(BUSY_TEXT)
                self.setToolTip(BUSY_TIP)
                self.show()
            else:
                self.hide()
            return
        # One line: the folder elided in its middle, named in full in the tooltip.
        folder = self.fontMetrics().elidedText(str(self._index.directory), Qt.TextElideMode.ElideMiddle, 360)
        if self._index.read_only_problem() is not None:
            self.setText(
                f"Saved, not searchable yet: the search index folder {folder} is read-only; make it writable again"
            )
        else:
            self.setText(f"Saved, not searchable yet: the disk holding {folder} is full; free space there")
        self.setToolTip(problem)
        self.show()
        self._recheck.start()
