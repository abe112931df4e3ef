"""Automatic backups: one a day, the last N kept, in the data folder.

Where and how many, first found wins:

- ``FINWEEK_BACKUP_DIR`` and ``FINWEEK_BACKUP_KEEP`` in the environment;
- the ``[backup]`` table of ``settings.toml`` in the data folder::

      [backup]
      keep = 7                      # 0 turns automatic backups off
      dir = "/media/usb/finweek"    # default: <data folder>/backups

- else ``<data folder>/backups/``, keeping 7.

The window takes one on a worker thread after the catalog opens, when the
last is older than a day; the CLI after a command that wrote, likewise.
Automatic backups and "Back up now" are named ``finweek-backup-<UTC time>.zip``;
only files so named are counted and rotated (a backup saved elsewhere by
hand is never deleted).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from ..paths import CatalogPaths
from ..privacy import PRIVATE_DIR
from .archive import BackupInfo, Progress, create_backup, read_manifest

log = logging.getLogger(__name__)

KEEP_ENV = "FINWEEK_BACKUP_KEEP"
DIR_ENV = "FINWEEK_BACKUP_DIR"
SETTINGS_FILE = "settings.toml"
DEFAULT_KEEP = 7
EVERY = dt.timedelta(days=1)
_NAME = re.compile(r"^finweek-backup-(\d{8}T\d{6}Z)\.zip$")
_STAMP = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class BackupSettings:
    folder: Path
    keep: int  # 0: no automatic backups

    @property
    def enabled(self) -> bool:
        return self.keep > 0


def backup_settings(paths: CatalogPaths) -> BackupSettings:
    """The settings in force for the catalog in ``paths`` (see the module's docstring)."""
    table: dict = {}
    settings_file = paths.root / SETTINGS_FILE
    if settings_file.is_file():
        try:
            table = tomllib.loads(settings_file.read_text(encoding="utf-8")).get("backup", {})
        except (OSError, ValueError) as exc:
            log.warning("ignoring %s: %s", settings_file, exc)
    folder = os.environ.get(DIR_ENV) or table.get("dir") or (paths.root / "backups")
    keep_value = os.environ.get(KEEP_ENV, table.get("keep", DEFAULT_KEEP))
    try:
        keep = max(0, int(keep_value))
    except (TypeError, ValueError):
        log.warning("ignoring the backup setting keep=%r: not a whole number", keep_value)
        keep = DEFAULT_KEEP
    return BackupSettings(Path(folder).expanduser(), keep)


@dataclass(frozen=True)
class ListedBackup:
    path: Path
    taken_at: dt.datetime  # UTC, from the name
    size: int
    documents: int | None  # from the manifest; None when it cannot be read
    files: int | None

    def to_json(self) -> dict:
        return {
            "path": str(self.path),
            "taken_at": self.taken_at.isoformat(timespec="seconds"),
            "size": self.size,
            "documents": self.documents,
            "files": self.files,
        }


def list_backups(settings: BackupSettings, *, manifests: bool = True) -> list[ListedBackup]:
    """The backups in the folder, newest first."""
    found: list[ListedBackup] = []
    if not settings.folder.is_dir():
        return found
    for path in settings.folder.iterdir():
        match = _NAME.match(path.name)
        if not match or not path.is_file():
            continue
        taken = dt.datetime.strptime(match.group(1), _STAMP).replace(tzinfo=dt.UTC)
        manifest = read_manifest(path) if manifests else None
        found.append(
            ListedBackup(
                path,
                taken,
                path.stat().st_size,
                manifest.get("documents") if manifest else None,
                manifest.get("files") if manifest else None,
            )
        )
    return sorted(found, key=lambda b: b.taken_at, reverse=True)


def last_backup(settings: BackupSettings) -> ListedBackup | None:
    listed = list_backups(settings, manifests=False)
    return listed[0] if listed else None


def backup_due(settings: BackupSettings, now: dt.datetime | None = None) -> bool:
    if not settings.enabled:
        return False
    last = last_backup(settings)
    return last is None or (now or dt.datetime.now(dt.UTC)) - last.taken_at >= EVERY


def take_backup(
    paths: CatalogPaths,
    settings: BackupSettings,
    progress: Progress | None = None,
    stop: Callable[[], bool] | None = None,
) -> BackupInfo:
    """A backup into the backups folder now, then rotation (the newest
    ``keep`` stay; with automatic backups off, none is deleted)."""
    settings.folder.mkdir(PRIVATE_DIR, parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    target = settings.folder / f"finweek-backup-{now.strftime(_STAMP)}.zip"
    while target.exists():  # two within a second
        now += dt.timedelta(seconds=1)
        target = settings.folder / f"finweek-backup-{now.strftime(_STAMP)}.zip"
    info = create_backup(paths, target, progress, stop)
    rotate(settings)
    return info


def rotate(settings: BackupSettings) -> list[Path]:
    """Delete the backups beyond the newest ``keep``; returns them."""
    if not settings.enabled:
        return []
    removed = []
    for old in list_backups(settings, manifests=False)[settings.keep :]:
        try:
            old.path.unlink()
            removed.append(old.path)
        except OSError as exc:
            log.warning("could not remove the old backup %s: %s", old.path, exc)
    return removed


def backup_if_due(
    paths: CatalogPaths, progress: Progress | None = None, stop: Callable[[], bool] | None = None
) -> BackupInfo | None:
    """The daily automatic backup: taken when the last is older than a day
    (by one process at a time); None when none was due."""
    settings = backup_settings(paths)
    if not backup_due(settings):
        return None
    lock = FileLock(paths.root / "backup.lock", mode=0o600)
    try:
        with lock.acquire(timeout=0):
            if not backup_due(settings):  # another process took it meanwhile
                return None
            return take_backup(paths, settings, progress, stop)
    except Timeout:
        return None  # another process is taking it
