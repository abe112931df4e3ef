"""`finweek-desktop`: start-up of the desktop application.

The window shows at once; the catalog (migrations, first-launch seed, an
index rebuild when needed) opens on a worker thread with its progress shown.
A lock file in the data folder keeps a second instance from opening the
same catalog.
"""

from __future__ import annotations

import argparse
import logging
import logging.handlers
import sys
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from ..core.errors import CatalogDamaged
from ..core.paths import APP_NAME, resolve_data_dir, resolve_database_url
from ..core.search.analysis import preload_segmenter
from ..core.startup import CatalogOpenError, open_catalog
from .errors import ExceptionHook, describe
from .main_window import MainWindow
from .recovery import RecoverDialog
from .tasks import Progress, TaskRunner
from .team_catalog import remembered_url, usable_in_window
from .theme import app_icon

log = logging.getLogger("finweek_desktop.gui")
LOCK_NAME = "finweek-desktop.lock"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="finweek-desktop", description="The Shizimen Finance Week document catalog.")
    parser.add_argument("--data-dir", help="catalog folder (default: $FINWEEK_DATA_DIR, else the user data folder)")
    parser.add_argument(
        "--database-url",
        help="a team catalog on a PostgreSQL server (default: $FINWEEK_DATABASE_URL, "
        "else the one chosen last in File → Connect to a team catalog…)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more (to the log file and stderr)")
    return parser


def setup_logging(data_dir: Path, verbose: bool) -> None:
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        handler = logging.handlers.RotatingFileHandler(
            data_dir / "finweek-desktop.log", maxBytes=1_000_000, backupCount=3, encoding="utf-8"
        )
        handler.setFormatter(formatter)
        root.addHandler(handler)
    except OSError:
        pass
    console = logging.StreamHandler()
    console.setLevel(logging.DEBUG if verbose else logging.WARNING)
    console.setFormatter(formatter)
    root.addHandler(console)
    logging.getLogger("alembic").setLevel(logging.WARNING)


class SingleInstance:
    """A QLockFile in the data folder; a crashed instance's stale lock is taken over."""

    def __init__(self, data_dir: Path):
        self.lock = QLockFile(str(data_dir / LOCK_NAME))
        self.lock.setStaleLockTime(0)  # stale only if its process is gone

    def acquire(self) -> bool:
        if self.lock.tryLock(200):
            return True
        if self.lock.removeStaleLockFile():
            return self.lock.tryLock(200)
        return False

    def owner(self) -> str:
        info = self.lock.getLockInfo()  # PySide returns (ok, pid, host, app) or (pid, host, app)
        info = info[1:] if len(info) == 4 else info
        try:
            pid, host = info[0], info[1]
        except (IndexError, TypeError):
            return ""
        return f" (process {pid} on {host})" if pid else ""

    def release(self) -> None:
        self.lock.unlock()


SEGMENTER_PRELOAD_DELAY_MS = 1000
AUTOMATIC_BACKUP_DELAY_MS = 5000


class CatalogOpener(QObject):
    """Opens the catalog on a worker and hands it to the window. A damaged
    catalog is no dead end: a dialog offers to recover it, then opens it."""

    def __init__(self, window: MainWindow, runner: TaskRunner, data_dir: Path, database_url: str | None = None):
        super().__init__(window)
        self.window = window
        self.runner = runner
        self.data_dir = data_dir
        self.database_url = database_url
        self.catalog = None
        self.recover_dialog: RecoverDialog | None = None
        self.progress = Progress()
        self.progress.changed.connect(window.show_progress)

    def open(self) -> None:
        data_dir, database_url, progress = self.data_dir, self.database_url, self.progress
        self.runner.run(
            lambda: open_catalog(
                data_dir,
                database_url=database_url,
                progress=lambda message, done, total: progress.report(done, total, message),
            ),
            self.opened,
        )

    def opened(self, catalog, error) -> None:
        window, runner = self.window, self.runner
        if error is None and not usable_in_window(catalog):  # a team catalog whose server cannot be reached
            self.catalog = catalog
            window.catalogs.show_offline(catalog)  # search on this desktop's copy; the rest once the server is back
            return
        if error is not None:
            log.error("cannot open the catalog", exc_info=error)
            message = describe(error) if isinstance(error, CatalogOpenError) else f"Unexpected error: {describe(error)}"
            window.show_open_error(message)
            if isinstance(error, CatalogDamaged) and self.database_url is None:
                self.offer_recovery(message)
                return
            QMessageBox.critical(window, "Finance Week", f"The catalog could not be opened.\n\n{message}")
            return
        self.catalog = catalog
        window.set_catalog(catalog)
        window.ops.follow()  # writes that waited for a busy index, and other processes' writes
        # a team catalog: colleagues' writes as they commit (LISTEN/NOTIFY)
        catalog.service.team.listen(wake=window.ops.wake.emit)
        # jieba's dictionary takes about a second to load: load it off the
        # UI thread rather than on the first Chinese query, but only once the
        # first rows are painted. The loading thread holds the GIL most of
        # that second, so started at once it delayed the first table by
        # ~0.6 s at 50,000 documents.
        QTimer.singleShot(SEGMENTER_PRELOAD_DELAY_MS, lambda: runner.run(preload_segmenter))
        if catalog.created:
            window.statusBar().showMessage(
                "Welcome! This new catalog holds the documents of the 3rd Shizimen Finance Week.", 10000
            )
        elif window.backups is not None and catalog.read_only is None:
            # The daily backup, on a worker, once the first rows are painted and the segmenter loaded.
            QTimer.singleShot(AUTOMATIC_BACKUP_DELAY_MS, window.backups, window.backups.run_automatic)

    def offer_recovery(self, message: str) -> None:
        dialog = RecoverDialog(self.data_dir, message, self.runner, self.window)
        self.recover_dialog = dialog
        dialog.recovered.connect(self._recovered)
        dialog.quit_requested.connect(self.window.close)
        dialog.open()

    def _recovered(self, report) -> None:
        self.window.show_progress(0, 0, "Opening the recovered catalog")
        self.window.loading_bar.show()
        self.open()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    if QApplication.instance() is None:
        QApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([sys.argv[0]])
    app.setOrganizationName("finweek")
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName("Finance Week")
    app.setDesktopFileName(APP_NAME)
    app.setWindowIcon(app_icon())

    data_dir = resolve_data_dir(args.data_dir)
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        QMessageBox.critical(None, "Finance Week", f"Cannot create the data folder {data_dir}:\n{describe(exc)}")
        return 1
    setup_logging(data_dir, args.verbose)
    hook = ExceptionHook(app)
    hook.install()

    instance = SingleInstance(data_dir)
    if not instance.acquire():
        hook.uninstall()
        QMessageBox.information(
            None,
            "Finance Week",
            f"The catalog is already open in another Finance Week window{instance.owner()}.\n\n"
            f"Switch to that window, or close it first. (Data folder: {data_dir})",
        )
        return 2

    runner = TaskRunner(app)
    settings = QSettings()
    # --database-url, else $FINWEEK_DATABASE_URL, else the catalog chosen last time (File menu)
    database_url = resolve_database_url(args.database_url) or remembered_url(settings)
    window = MainWindow(settings=settings, runner=runner)
    window.show()
    window.catalogs.data_dir = data_dir  # File → My own catalog works even if the team's could not open
    opener = CatalogOpener(window, runner, data_dir, database_url)
    opener.open()
    code = app.exec()
    window.save_state()
    runner.wait()
    TaskRunner.end_all_threads()
    if window.catalog is not None:  # the one shown last (File → Connect to a team catalog… may have changed it)
        window.catalog.close()
    instance.release()
    hook.uninstall()
    return code


if __name__ == "__main__":
    sys.exit(main())
