"""A damaged catalog at start-up offers recovery instead of a dead end; the
File menu shows the last backup and backs up on demand."""

from __future__ import annotations

import os

import pytest
from gui_helpers import dialog, idle
from PySide6.QtCore import Qt

from finweek_desktop.core.backup import backup_settings, list_backups
from finweek_desktop.core.paths import CatalogPaths
from finweek_desktop.core.records import NewDocument
from finweek_desktop.core.startup import open_catalog
from finweek_desktop.gui.app import CatalogOpener
from finweek_desktop.gui.main_window import MainWindow
from finweek_desktop.gui.recovery import RecoverDialog
from finweek_desktop.gui.tasks import TaskRunner


@pytest.fixture
def damaged(data_dir, tmp_path):
    """A catalog with one more attached file, closed, its database header overwritten."""
    catalog = open_catalog(data_dir)
    note = tmp_path / "field-notes.txt"
    note.write_text("Hengqin field notes on cross-border insurance")
    doc = catalog.service.documents.create_document(NewDocument(kind="report", title="Field notes"))
    catalog.service.attachments.attach_files(doc.id, [note])
    titles = sorted(d.title for d in catalog.service.documents.list_documents())
    catalog.close()
    with open(data_dir / "catalog.sqlite3", "r+b") as f:
        f.write(os.urandom(4096))
    return titles


@pytest.fixture
def starting(qtbot, settings):
    """A window starting up as app.main() starts it, without app.exec()."""
    runner = TaskRunner()
    window = MainWindow(settings=settings, runner=runner)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    yield window, runner
    runner.wait()
    idle(qtbot, window)
    if window.catalog is not None:
        window.catalog.close()
    window.close()
    window.deleteLater()
    qtbot.wait(1)


def test_a_damaged_catalog_offers_recovery_then_opens(qtbot, starting, damaged, data_dir):
    window, runner = starting
    opener = CatalogOpener(window, runner, data_dir)
    opener.open()
    box = dialog(qtbot, RecoverDialog, "recoverDialog")
    assert "damaged" in box.heading.text() and "kept aside" in box.text.text()
    assert "file is not a database" in box.details.text()
    if os.environ.get("FINWEEK_SCREENSHOTS"):
        box.grab().save("/tmp/recover-dialog.png")
    qtbot.mouseClick(box.recover_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: box.open_button.isVisible(), timeout=60000)
    qtbot.wait(50)  # the dialog lays out its new page (the click lands on the button, not where it was)
    text = box.status.text()
    assert f"Recovered {len(damaged)} documents" in text and "search index" in text and "kept at" in text
    assert "organizations" in text  # what the index does not keep is said to be lost
    if os.environ.get("FINWEEK_SCREENSHOTS"):
        box.grab().save("/tmp/recover-dialog-done.png")
    qtbot.mouseClick(box.open_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.catalog is not None, timeout=60000)
    idle(qtbot, window)
    assert sorted(d.title for d in window.catalog.service.documents.list_documents()) == damaged
    assert [p for p in data_dir.iterdir() if p.name.startswith("catalog.sqlite3.damaged-")]


def test_quit_leaves_the_damaged_catalog_as_it_is(qtbot, starting, damaged, data_dir):
    window, runner = starting
    before = (data_dir / "catalog.sqlite3").read_bytes()
    CatalogOpener(window, runner, data_dir).open()
    box = dialog(qtbot, RecoverDialog, "recoverDialog")
    qtbot.mouseClick(box.quit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.isVisible())
    assert (data_dir / "catalog.sqlite3").read_bytes() == before
    assert not [p for p in data_dir.iterdir() if ".damaged-" in p.name]


def test_the_file_menu_shows_the_last_backup_and_backs_up_now(qtbot, window, data_dir):
    info = window.findChild(type(window.quit_action), "lastBackup")
    assert info is not None and not info.isEnabled() and info.text() == "Last backup: none yet"
    assert info in window.file_menu.actions()
    now = window.findChild(type(window.quit_action), "backupNow")
    now.trigger()
    qtbot.waitUntil(lambda: info.text() != "Last backup: none yet", timeout=60000)
    [backup] = list_backups(backup_settings(CatalogPaths(data_dir)))
    assert info.text() == f"Last backup: {backup.taken_at.astimezone():%Y-%m-%d %H:%M}"
    assert backup.documents == window.catalog.service.documents.count_documents()
    assert "Backed up" in window.statusBar().currentMessage()


def test_the_daily_backup_runs_after_the_window_opens_a_catalog(qtbot, starting, data_dir, monkeypatch):
    open_catalog(data_dir).close()  # an existing catalog (a new one is not backed up at once)
    monkeypatch.setenv("FINWEEK_BACKUP_KEEP", "3")
    window, runner = starting
    CatalogOpener(window, runner, data_dir).open()
    qtbot.waitUntil(lambda: window.catalog is not None, timeout=60000)
    info = window.findChild(type(window.quit_action), "lastBackup")
    qtbot.waitUntil(lambda: info.text() != "Last backup: none yet", timeout=60000)
    [backup] = list_backups(backup_settings(CatalogPaths(data_dir)))
    assert backup.documents == window.catalog.service.documents.count_documents()
