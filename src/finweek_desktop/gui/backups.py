"""The File menu's backup entries: when the last backup was taken, and
"Back up now…"; the daily automatic backup runs on a worker thread, so it
never holds up the window."""

from __future__ import annotations

import datetime as dt
import logging

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMainWindow, QMenu

from ..core.backup import BackupCancelled, backup_if_due, backup_settings, last_backup, take_backup
from ..core.startup import Catalog
from .errors import show_error
from .tasks import Progress, TaskRunner

log = logging.getLogger(__name__)


def describe_last(when: dt.datetime | None) -> str:
    if when is None:
        return "Last backup: none yet"
    return f"Last backup: {when.astimezone():%Y-%m-%d %H:%M}"


class BackupActions(QObject):
    """Adds "Last backup: …" (information only) and "Back up now…" to ``menu``, before ``before``."""

    backed_up = Signal(object)  # BackupInfo, after a backup (automatic or asked for)

    def __init__(self, window: QMainWindow, catalog: Catalog, runner: TaskRunner, menu: QMenu, before: QAction):
        super().__init__(window)
        self.window = window
        self.catalog = catalog
        self.runner = runner
        self.team = catalog.engine.dialect.name != "sqlite"
        self.info_action = QAction(self)
        self.info_action.setObjectName("lastBackup")
        self.info_action.setEnabled(False)
        self.now_action = QAction("Back up &now…", self)
        self.now_action.setObjectName("backupNow")
        self.now_action.triggered.connect(lambda _checked=False: self.back_up_now())
        self.busy = False
        # A backup running when the application quits stops at its next file
        # (its partial archive removed) rather than keeping the process alive.
        self.stopping = Progress()
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.stopping.cancel)
        menu.insertAction(before, self.info_action)
        menu.insertAction(before, self.now_action)
        menu.insertSeparator(before)
        if self.team:
            self.info_action.setText("Backups of a team catalog: pg_dump on its server")
            self.now_action.setEnabled(False)
        else:
            self.refresh()

    def refresh(self) -> None:
        if self.team:
            return
        settings = backup_settings(self.catalog.paths)
        last = last_backup(settings)
        self.info_action.setText(describe_last(last.taken_at if last else None))
        self.info_action.setToolTip(str(last.path) if last else str(settings.folder))

    def run_automatic(self) -> None:
        """The daily backup, if the last is older than a day (on a worker)."""
        if self.team:
            return
        paths, stopping = self.catalog.paths, self.stopping
        self.runner.run(lambda: backup_if_due(paths, stop=lambda: stopping.cancelled), self._automatic_done)

    def _automatic_done(self, info, error) -> None:
        if isinstance(error, BackupCancelled):
            return
        if error is not None:
            log.warning("the daily automatic backup failed", exc_info=error)
            self.window.statusBar().showMessage(f"The daily automatic backup failed: {error}", 10000)
            return
        if info is not None:
            self.refresh()
            self.backed_up.emit(info)

    def back_up_now(self) -> None:
        if self.team or self.busy:
            return
        self.busy = True
        self.now_action.setEnabled(False)
        paths = self.catalog.paths
        settings = backup_settings(paths)
        progress = Progress()
        bar = self.window.statusBar()
        progress.changed.connect(
            lambda done, total, stage: bar.showMessage(f"Backing up: {stage.lower()} {done}/{total}")
        )
        bar.showMessage("Backing up the catalog…")
        stopping = self.stopping
        self.runner.run(
            lambda: take_backup(
                paths,
                settings,
                lambda stage, done, total: progress.report(done, total, stage),
                stop=lambda: stopping.cancelled,
            ),
            self._now_done,
        )

    def _now_done(self, info, error) -> None:
        self.busy = False
        self.now_action.setEnabled(True)
        if error is not None:
            self.window.statusBar().clearMessage()
            show_error(self.window, "Could not back up the catalog", error)
            return
        self.refresh()
        self.window.statusBar().showMessage(
            f"Backed up {info.documents} documents and {info.files} files to {info.path}", 15000
        )
        self.backed_up.emit(info)
