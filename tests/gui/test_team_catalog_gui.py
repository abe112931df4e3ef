"""File → "Connect to a team catalog…" and back to "My own catalog"."""

from __future__ import annotations

from PySide6.QtCore import QSettings

from finweek_desktop.gui.team_catalog import SETTING, TeamCatalogDialog, remembered_url

from gui_helpers import dialog, idle


def test_connect_to_a_team_catalog_and_back(qtbot, window, settings, postgres_url):
    assert window.windowTitle().endswith("my own catalog")
    own_titles = {d.title for d in window.service.documents.list_documents()}
    window.team_action.trigger()
    box = dialog(qtbot, TeamCatalogDialog)
    qtbot.keyClicks(box.url, "not a url")
    box.buttons.accepted.emit()
    assert box.isVisible() and "not a database URL" in box.error.text()
    box.url.clear()
    with_password = postgres_url.replace("postgres@", "postgres:s3cret@")
    qtbot.keyClicks(box.url, with_password)
    box.grab().save("/tmp/team-connect-dialog.png")
    box.buttons.accepted.emit()
    qtbot.waitUntil(lambda: window.catalog.service.team.shared, timeout=60000)
    idle(qtbot, window)
    database = postgres_url.rsplit("/", 1)[1]
    assert window.windowTitle().endswith(f"team catalog {database} on 127.0.0.1")
    window.grab().save("/tmp/team-window.png")
    # Remembered across restarts, never with its password.
    saved = settings.value(SETTING)
    assert saved == postgres_url and "s3cret" not in saved
    assert remembered_url(QSettings(settings.fileName(), QSettings.Format.IniFormat)) == postgres_url
    # The team catalog's own documents (its seed) are listed and searchable.
    assert window.service.search("hengqin").hits

    window.own_action.trigger()
    qtbot.waitUntil(lambda: not window.catalog.service.team.shared, timeout=60000)
    idle(qtbot, window)
    assert window.windowTitle().endswith("my own catalog")
    assert settings.value(SETTING) == ""
    assert {d.title for d in window.service.documents.list_documents()} == own_titles
