"""A catalog opened on a full disk (issue 17, point 3): one line in the
status bar says it is open for reading only, where the disk is full and how
much to free; once the disk has room again the catalog is opened again by
itself (the window shows it writable), and the line goes.

A catalog opened while its disk was full reads its database without SQLite's
-wal and -shm files (core/startup.py), which that open cannot write with; so
the window asks the disk every few seconds and opens the catalog anew.
"""

from __future__ import annotations

import logging
import shutil
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel

from ..core.database import NEEDED_FREE_BYTES, full_disk_message
from ..core.startup import Catalog, open_catalog

if TYPE_CHECKING:
    from .main_window import MainWindow

log = logging.getLogger(__name__)

RECHECK_MS = 5000


class FullDiskWatch(QLabel):
    def __init__(self, window: MainWindow):
        super().__init__()
        self.setObjectName("fullDiskLine")
        self.setStyleSheet("color: #c0392b")
        self._window = window
        self._recheck = QTimer(self, interval=RECHECK_MS)
        self._recheck.timeout.connect(self._check)
        self._opening = False
        window.statusBar().addWidget(self)
        window.catalog_ready.connect(self._shown)
        self.hide()

    def _watched(self) -> Catalog | None:
        """The window's catalog when it is one's own opened for reading only on a full disk."""
        catalog = self._window.catalog
        if catalog is None or catalog.database_url is not None or not catalog.read_only:
            return None
        return catalog

    def _shown(self) -> None:
        catalog = self._watched()
        if catalog is None:
            self.hide()
            self._recheck.stop()
            return
        # One line: the folder elided in its middle, the whole message in the tooltip.
        folder = self.fontMetrics().elidedText(str(catalog.paths.root), Qt.TextElideMode.ElideMiddle, 360)
        needed = NEEDED_FREE_BYTES // 2**20
        self.setText(f"Reading only: the disk holding {folder} is full; free at least {needed} MB there")
        self.setToolTip(catalog.read_only or "")
        self.show()
        self._recheck.start()

    def _check(self) -> None:
        catalog = self._watched()
        if catalog is None:
            self._shown()
            return
        now = full_disk_message(catalog.paths.root)
        if now is not None:  # still full: say how full
            self.setToolTip(now)
            return
        try:  # reopened once there is the room the line asks for, not at the first free megabyte
            if shutil.disk_usage(catalog.paths.root).free < NEEDED_FREE_BYTES:
                return
        except OSError:
            return
        if self._opening:
            return
        self._opening = True
        root = catalog.paths.root
        self._window.runner.run(lambda: open_catalog(root), self._opened)

    def _opened(self, catalog: Catalog | None, error: BaseException | None) -> None:
        self._opening = False
        if error is not None or catalog is None:  # tried again at the next check
            log.info("the catalog could not be opened again yet: %s", error)
            return
        if catalog.read_only:  # the room went again meanwhile
            catalog.close()
            return
        self._recheck.stop()
        self._window.replace_catalog(catalog)
        self._window.statusBar().showMessage("There is room on the disk again: the catalog can be changed again.", 8000)
