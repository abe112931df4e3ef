"""The system's applications: showing a stored file in the file manager and
opening a read-only copy of it.

The store names files by their checksum, so the file manager shows the
stored file itself (selected where the platform allows it), while opening
goes through a copy under the file's own name: the application shows a
sensible title, and edits made there cannot silently change the catalog's
file. The copy is made read-only so the application says so on saving.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QProcess, QUrl
from PySide6.QtGui import QDesktopServices

COPIES = "finweek-desktop"  # folder under the system's temporary folder


def read_only_copy(stored: Path, attachment_id: int, name: str) -> Path:
    """A read-only copy of ``stored`` named ``name`` (any thread)."""
    # By id and content: a new file that reuses a removed file's id is not
    # taken for its copy.
    folder = Path(tempfile.gettempdir()) / COPIES / f"{attachment_id}-{stored.name[:16]}"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / Path(name).name
    if target.exists() and target.stat().st_size == stored.stat().st_size:
        return target
    if target.exists():
        target.chmod(stat.S_IRUSR | stat.S_IWUSR)
        target.unlink()
    shutil.copy2(stored, target)
    target.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    return target


def open_file(path: Path) -> bool:
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def reveal(path: Path) -> None:
    """Show ``path`` in the file manager, selected where the platform can."""
    if sys.platform == "darwin":
        QProcess.startDetached("open", ["-R", str(path)])
    elif sys.platform == "win32":
        QProcess.startDetached("explorer", [f"/select,{os.path.normpath(path)}"])
    elif not _freedesktop_show(path):
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))


def _freedesktop_show(path: Path) -> bool:
    """The FileManager1 D-Bus call (Nautilus, Dolphin, Nemo…) that opens the
    folder with the file selected; False without a session bus or a taker."""
    try:
        from PySide6.QtDBus import QDBusConnection, QDBusInterface, QDBusMessage
    except ImportError:
        return False
    bus = QDBusConnection.sessionBus()
    if not bus.isConnected():
        return False
    manager = QDBusInterface(
        "org.freedesktop.FileManager1", "/org/freedesktop/FileManager1", "org.freedesktop.FileManager1", bus
    )
    if not manager.isValid():
        return False
    reply = manager.call("ShowItems", [QUrl.fromLocalFile(str(path)).toString()], "")
    return reply.type() != QDBusMessage.MessageType.ErrorMessage
