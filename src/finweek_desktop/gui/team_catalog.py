"""File → "Connect to a team catalog…" and "My own catalog".

The choice is remembered in the settings (``catalog/databaseUrl``), without
its password: libpq reads passwords from ``~/.pgpass`` or a service file, or
the system keyring keeps it when the ``keyring`` package is installed. The
title bar names the open catalog, and a line in the status bar says when a
team catalog's server cannot be reached (search goes on from this desktop's
index; writes are refused until it is back).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, QTimer
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from ..core.startup import Catalog, CatalogOpenError, open_catalog
from ..core.team.urls import (
    catalog_label,
    check_url,
    keep_password,
    keyring_password,
    password_of,
    with_password,
    without_password,
)
from .errors import show_error
from .team_offline import OFFLINE_LINE, OfflineTeamPage, usable_in_window

if TYPE_CHECKING:
    from .main_window import MainWindow

__all__ = ["SETTING", "CatalogChooser", "TeamCatalogDialog", "remembered_url", "usable_in_window"]

SETTING = "catalog/databaseUrl"
APP_TITLE = "Shizimen Finance Week"


def remembered_url(settings: QSettings) -> str | None:
    """The team catalog chosen last time (with its keyring password), or None for one's own."""
    url = settings.value(SETTING, "") or ""
    if not isinstance(url, str) or not url:
        return None
    return with_password(url, keyring_password(url))


class TeamCatalogDialog(QDialog):
    """Asks for the URL of a team catalog."""

    def __init__(self, current: str | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("teamCatalogDialog")
        self.setWindowTitle("Connect to a team catalog")
        intro = QLabel(
            "The address of your team's catalog, as your administrator gave it, for example<br>"
            "<tt>postgresql+psycopg://alice@db.example/finweek?sslmode=verify-full</tt><br><br>"
            "Leave the password out: it is read from <tt>~/.pgpass</tt> or a PostgreSQL service file.<br>"
            "A password typed into the address is kept in the system keyring if there is one,<br>"
            "never in the settings."
        )
        self.url = QLineEdit(without_password(current) if current else "")
        self.url.setObjectName("teamUrl")
        self.url.setPlaceholderText("postgresql+psycopg://user@host/database")
        self.url.setMinimumWidth(520)
        self.error = QLabel()
        self.error.setObjectName("teamUrlError")
        self.error.setStyleSheet("color: #c0392b")
        self.error.hide()
        self.url.textChanged.connect(self.error.hide)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.addButton("Connect", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self._check)
        self.buttons.rejected.connect(self.reject)
        column = QVBoxLayout(self)
        column.addWidget(intro)
        column.addWidget(self.url)
        column.addWidget(self.error)
        column.addWidget(self.buttons)
        self.chosen: str | None = None

    def _check(self) -> None:
        try:
            self.chosen = check_url(self.url.text())
        except ValueError as exc:
            self.error.setText(str(exc))
            self.error.show()
            return
        self.accept()


class CatalogChooser(QObject):
    """Switches the window between one's own catalog and a team catalog."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.data_dir: Path | None = None  # set by the app: where to open a catalog when none is open
        window.catalog_ready.connect(self._catalog_shown)
        self.server_line = QLabel()
        self.server_line.setObjectName("teamServerLine")
        self.server_line.setStyleSheet("color: #c0392b")
        self.server_line.hide()
        window.statusBar().addWidget(self.server_line)
        self.offline: OfflineTeamPage | None = None  # a team catalog opened while its server was away
        self._watch = QTimer(self, interval=2000)
        self._watch.timeout.connect(self._show_server_state)
        self._watch.start()

    # -- the menu ------------------------------------------------------------

    def connect_to_team(self) -> None:
        catalog = self.window.catalog
        dialog = TeamCatalogDialog(catalog.database_url if catalog else None, self.window)
        dialog.accepted.connect(lambda: self.open(dialog.chosen))
        dialog.open()

    def use_own(self) -> None:
        self.open(None)

    def open(self, url: str | None) -> None:
        """Open the catalog at ``url`` (None: the one in the data folder), then show it instead."""
        current = self.window.catalog
        if current is not None and (current.database_url or None) == (url or None):
            return
        if url:
            password = password_of(url)
            if password:
                keep_password(url, password)  # or nothing: then libpq's .pgpass
        data_dir = current.data_dir if current is not None else self.data_dir
        self.window.statusBar().showMessage(f"Opening the {catalog_label(url)}…")
        self.window.runner.run(lambda: open_catalog(data_dir, database_url=url), lambda c, e: self._opened(url, c, e))

    def _opened(self, url: str | None, catalog: Catalog | None, error: BaseException | None) -> None:
        if error is None and catalog is not None and not usable_in_window(catalog):
            error = CatalogOpenError(catalog.read_only or "the catalog cannot be shown")
            catalog.close()
        if error is not None or catalog is None:
            self.window.statusBar().clearMessage()
            show_error(self.window, f"Could not open the {catalog_label(url)}", error or RuntimeError("no catalog"))
            return
        self.window.settings.setValue(SETTING, without_password(url) if url else "")
        self.window.settings.sync()
        self.window.replace_catalog(catalog)
        catalog.service.team.listen(wake=self.window.ops.wake.emit)
        self.window.statusBar().showMessage(f"Opened the {catalog_label(url)}.", 5000)

    # -- a team catalog whose server is away at start ---------------------------

    def show_offline(self, catalog: Catalog, retry_ms: int | None = None) -> None:
        """Show a team catalog opened while its server cannot be reached: search
        on this desktop's copy, the reason in one line, no writes; the whole
        catalog once the server answers (``server_back``)."""
        window = self.window
        page = OfflineTeamPage(window, catalog) if retry_ms is None else OfflineTeamPage(window, catalog, retry_ms)
        self.offline = page
        window.catalog = catalog  # closed by whoever closes the window's catalog (the app, a switch)
        window.pages.addWidget(page)
        window.pages.setCurrentWidget(page)
        window.setWindowTitle(f"{APP_TITLE} — {catalog_label(catalog.database_url)} (server unreachable)")
        self._show_server_state()
        page.search_box.setFocus()

    def server_back(self, catalog: Catalog) -> None:
        """The server answered: the window shows the whole team catalog (the copy searched meanwhile closes)."""
        self.window.replace_catalog(catalog)
        catalog.service.team.listen(wake=self.window.ops.wake.emit)
        self.window.statusBar().showMessage(f"The {catalog_label(catalog.database_url)} is reachable again.", 8000)

    def _drop_offline(self) -> None:
        page, self.offline = self.offline, None
        if page is not None:
            page.stop()
            self.window.pages.removeWidget(page)
            page.deleteLater()

    # -- what the window shows -------------------------------------------------

    def _catalog_shown(self) -> None:
        self._drop_offline()  # a catalog shown whole: the search of the copy is done
        catalog = self.window.catalog
        label = catalog_label(catalog.database_url if catalog else None)
        self.window.setWindowTitle(f"{APP_TITLE} — {label}")
        self._show_server_state()

    def _show_server_state(self) -> None:
        if self.offline is not None:
            self.server_line.setText(OFFLINE_LINE)
            self.server_line.setToolTip(self.offline.catalog.read_only or "")
            self.server_line.show()
            return
        catalog = self.window.catalog
        listener = catalog.service.team.listener if catalog is not None else None
        if listener is None or listener.connected or listener.last_error is None:
            self.server_line.hide()
            return
        self.server_line.setText(
            "The team catalog's server cannot be reached: search works on this desktop's copy; "
            "changes cannot be saved until it is back."
        )
        self.server_line.setToolTip(listener.last_error)
        self.server_line.show()
