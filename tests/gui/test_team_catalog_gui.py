"""File → "Connect to a team catalog…" and back to "My own catalog"."""

from __future__ import annotations

from gui_helpers import dialog, idle, titles
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from finweek_desktop.core.records import NewDocument
from finweek_desktop.core.startup import open_catalog
from finweek_desktop.gui.main_window import MainWindow
from finweek_desktop.gui.team_catalog import SETTING, TeamCatalogDialog, remembered_url


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



def test_the_window_says_when_the_server_is_away_and_search_goes_on(qtbot, tmp_path, settings, own_server):
    catalog = open_catalog(tmp_path / "desk", database_url=own_server.new_database())
    window = MainWindow(catalog, settings=settings)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    try:
        catalog.service.team.listen()
        qtbot.waitUntil(lambda: catalog.service.team.listener.connected, timeout=30000)
        line = window.catalogs.server_line
        assert not line.isVisible()
        own_server.kill()
        qtbot.waitUntil(line.isVisible, timeout=30000)
        assert "cannot be reached" in line.text() and "\n" not in line.text()
        window.grab().save("/tmp/team-server-away.png")
        assert catalog.service.search("hengqin").hits  # from this desktop's index
        own_server.restart()
        qtbot.waitUntil(lambda: not line.isVisible(), timeout=30000)
    finally:
        idle(qtbot, window)
        window.close()
        catalog.close()


def test_a_team_catalog_whose_server_is_away_is_not_shown_and_ones_own_is_a_click_away(
    qtbot, tmp_path, settings, own_server
):
    url = own_server.new_database()
    open_catalog(tmp_path / "desk", database_url=url).close()  # opened here before
    own_server.kill()
    try:
        window = MainWindow(settings=settings)
        window.catalogs.data_dir = tmp_path / "desk"
        window.show()
        window.catalogs.open(url)
        error = dialog(qtbot, QMessageBox, "errorDialog")
        assert "cannot be reached" in error.informativeText() and window.catalog is None
        error.accept()
        assert window.own_action.isEnabled()
        window.own_action.trigger()
        qtbot.waitUntil(lambda: window.catalog is not None, timeout=60000)
        idle(qtbot, window)
        assert window.windowTitle().endswith("my own catalog")
    finally:
        own_server.restart()
        idle(qtbot, window)
        window.close()
        if window.catalog is not None:
            window.catalog.close()


def test_a_colleagues_new_document_shows_in_the_open_window(qtbot, tmp_path, settings, postgres_url):
    mine = open_catalog(tmp_path / "mine", database_url=postgres_url)
    window = MainWindow(mine, settings=settings)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    colleague = open_catalog(tmp_path / "colleague", database_url=postgres_url)
    try:
        idle(qtbot, window)
        mine.service.team.listen(poll=3600, wake=window.ops.wake.emit)  # no poll, no timer: only notifications
        qtbot.waitUntil(lambda: mine.service.team.listener.connected, timeout=30000)
        colleague.service.documents.create_document(NewDocument(kind="report", title="Colleague's fresh report"))
        qtbot.waitUntil(lambda: "Colleague's fresh report" in titles(window.all_tab), timeout=30000)
        # the index follows the same notification (it may still be applying it as the list shows it)
        qtbot.waitUntil(lambda: [h.title for h in mine.service.search("fresh report").hits]
                        == ["Colleague's fresh report"], timeout=10000)
    finally:
        colleague.close()
        idle(qtbot, window)
        window.close()
        mine.close()
