"""Backups (one archive: database, stored files, manifest), automatic daily
backups, and recovery of a catalog whose database was damaged. UI-free:
the CLI (`finweek backup`, `finweek recover`) and the window use the same."""

from __future__ import annotations

from .archive import (
    TEAM_CATALOG_MESSAGE,
    BackupCancelled,
    BackupError,
    BackupInfo,
    RestoreResult,
    VerifyReport,
    create_backup,
    restore_backup,
    verify_backup,
)
from .automatic import (
    BackupSettings,
    ListedBackup,
    backup_if_due,
    backup_settings,
    last_backup,
    list_backups,
    take_backup,
)
from .recover import SOURCES, RecoveryRefused, RecoveryReport, diagnose, recover_catalog

__all__ = [
    "SOURCES",
    "TEAM_CATALOG_MESSAGE",
    "BackupCancelled",
    "BackupError",
    "BackupInfo",
    "BackupSettings",
    "ListedBackup",
    "RecoveryRefused",
    "RecoveryReport",
    "RestoreResult",
    "VerifyReport",
    "backup_if_due",
    "backup_settings",
    "create_backup",
    "diagnose",
    "last_backup",
    "list_backups",
    "recover_catalog",
    "restore_backup",
    "take_backup",
    "verify_backup",
]
