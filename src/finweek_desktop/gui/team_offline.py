"""A team catalog whose server cannot be reached when the window opens.

The window's lists and the document pane read the team database; this
desktop's search index does not need it. So until the server answers, the
window shows this page instead: a search of this desktop's copy (the
index's stored fields: title, kind, date, tags, a snippet), with the status
bar's one line saying the server is away and changes cannot be saved (the
actions that write are off). Every few seconds it tries the server again;
once the catalog opens, the window shows it whole, by itself.
"""

from __future__ import annotations

import logging
import re
from html import unescape
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..core.search.index import SearchResults
from ..core.startup import Catalog, open_catalog
from ..core.team.urls import catalog_label
from .tasks import LatestOnly
from .theme import kind_label

if TYPE_CHECKING:
    from .main_window import MainWindow

log = logging.getLogger(__name__)

RETRY_MS = 5000  # how often the server is tried again
LIMIT = 200  # hits listed
OFFLINE_LINE = (
    "The team catalog's server cannot be reached: searching this desktop's copy; "
    "changes cannot be saved until it is back (trying again by itself)."
)


def usable_in_window(catalog: Catalog) -> bool:
    """False for a team catalog opened while its server cannot be reached:
    the window shows it on this page (its lists come from the database)."""
    return not (catalog.database_url and catalog.read_only)


def _plain(snippet: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", "", snippet)).split())


class OfflineTeamPage(QWidget):
    """Search of this desktop's copy of a team catalog, while its server is away."""

    def __init__(self, window: MainWindow, catalog: Catalog, retry_ms: int = RETRY_MS):
        super().__init__()
        self.setObjectName("offlineTeamPage")
        self.window_ = window
        self.catalog = catalog
        self.trying = False
        self.stopped = False  # the window shows another catalog: a late answer only closes what it opened
        self.search_box = QLineEdit()
        self.search_box.setObjectName("offlineSearch")
        self.search_box.setPlaceholderText(f"Search this desktop's copy of the {catalog_label(catalog.database_url)}")
        self.search_box.setClearButtonEnabled(True)
        self.summary = QLabel("Type to search. Lists, the document pane and every change wait for the server.")
        self.summary.setObjectName("offlineSummary")
        self.results = QTableWidget(0, 4)
        self.results.setObjectName("offlineResults")
        self.results.setHorizontalHeaderLabels(["Title", "Kind", "Date", "Tags"])
        self.results.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.results.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.results.verticalHeader().hide()
        self.results.setWordWrap(False)
        header = self.results.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for section in (1, 2, 3):
            header.setSectionResizeMode(section, QHeaderView.ResizeMode.ResizeToContents)
        column = QVBoxLayout(self)
        column.setContentsMargins(12, 12, 12, 12)
        column.addWidget(self.search_box)
        column.addWidget(self.summary)
        column.addWidget(self.results, 1)
        self._searches = LatestOnly(window.runner)
        self._typing = QTimer(self, singleShot=True, interval=200)
        self._typing.timeout.connect(self.search)
        self.search_box.textChanged.connect(lambda _text: self._typing.start())
        self.search_box.returnPressed.connect(self.search)
        self.retry = QTimer(self, interval=retry_ms)
        self.retry.timeout.connect(self.try_again)
        self.retry.start()

    # -- search, from this desktop's index -----------------------------------------

    def search(self) -> None:
        text = self.search_box.text().strip()
        if not text:
            self.results.setRowCount(0)
            self.summary.setText("Type to search. Lists, the document pane and every change wait for the server.")
            return
        service = self.catalog.service
        self._searches.run(lambda: service.search(text, limit=LIMIT, snippets=1), self._found)

    def _found(self, results: SearchResults | None, error: BaseException | None) -> None:
        if error is not None or results is None:
            self.summary.setText(f"Cannot search: {error}")
            return
        self.results.setRowCount(len(results.hits))
        for row, hit in enumerate(results.hits):
            title = QTableWidgetItem(hit.title)
            title.setData(Qt.ItemDataRole.UserRole, hit.id)
            title.setToolTip(_plain(hit.snippet))
            cells = (title, QTableWidgetItem(kind_label(hit.kind)), QTableWidgetItem(hit.date or ""))
            for column, item in enumerate(cells):
                self.results.setItem(row, column, item)
            self.results.setItem(row, 3, QTableWidgetItem(", ".join(hit.tags)))
        shown = f"{results.total:,} found" + (f", the first {LIMIT} listed" if results.total > LIMIT else "")
        self.summary.setText(f"{shown} in this desktop's copy.")

    def titles(self) -> list[str]:
        items = (self.results.item(row, 0) for row in range(self.results.rowCount()))
        return [item.text() for item in items if item is not None]

    # -- the server, tried again --------------------------------------------------

    def try_again(self) -> None:
        """Open the team catalog anew on a worker; shown whole once its server answers."""
        if self.trying or self.stopped:
            return
        self.trying = True
        data_dir, url = self.catalog.data_dir, self.catalog.database_url
        self.window_.runner.run(lambda: open_catalog(data_dir, database_url=url), self._reopened)

    def _reopened(self, catalog: Catalog | None, error: BaseException | None) -> None:
        self.trying = False
        if catalog is not None and usable_in_window(catalog) and not self.stopped:
            self.stop()
            self.window_.catalogs.server_back(catalog)
            return
        if catalog is not None:
            catalog.close()  # away still (or this page is gone): its copy stays as it is
        if error is not None:
            log.info("the team catalog cannot be opened yet: %s", error)

    def stop(self) -> None:
        self.stopped = True
        self.retry.stop()
