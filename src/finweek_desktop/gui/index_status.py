"""One line in the status bar while the search index cannot be written
(a read-only index folder, a full disk): what was saved is not searchable yet, where the
folder is and what to do. Hidden otherwise.

It listens to ``Operations.catalog_changed``: a ChangeSet that is not
searchable yet is the moment to ask why. While the line shows, the folder
is asked again every few seconds, so the line goes once it is writable
(or has room).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel, QStatusBar

from ..core.changes import ChangeSet
from ..core.search.index import SearchIndex
from .operations import Operations

RECHECK_MS = 5000


class IndexStatus(QLabel):
    def __init__(self, ops: Operations, index: SearchIndex, bar: QStatusBar):
        super().__init__()
        self.setObjectName("indexStatus")
        self.setWordWrap(False)
        self._index = index
        self._recheck = QTimer(self, interval=RECHECK_MS)
        self._recheck.timeout.connect(self.refresh)
        ops.catalog_changed.connect(self._changed)
        bar.addPermanentWidget(self, 1)
        self.refresh()

    def _changed(self, changes: ChangeSet) -> None:
        if not changes.searchable or self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        problem = self._index.write_problem()
        if problem is None:
            self.hide()
            self._recheck.stop()
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
