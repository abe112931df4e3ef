"""The window and a team catalog's server that cannot be reached at start:
it opens on this desktop's copy (search from the index's stored fields),
says so in one line, refuses writes, and shows the whole catalog by itself
once the server is back. And an undo over a colleague's edit shows the
"changed by someone else meanwhile" dialog, not a traceback."""

from __future__ import annotations

from gui_helpers import dialog, idle, titles
from PySide6.QtWidgets import QMessageBox

from finweek_desktop.core.records import NewDocument
from finweek_desktop.core.startup import open_catalog
from finweek_desktop.gui.app import CatalogOpener
from finweek_desktop.gui.main_window import MainWindow


def test_the_window_opens_a_team_catalog_whose_server_is_down_and_reconnects(qtbot, tmp_path, settings, own_server):
    url = own_server.new_database()
    desk = tmp_path / "desk"
    before = open_catalog(desk, database_url=url)  # opened on this desktop before: its copy exists
    before.service.documents.create_document(
        NewDocument(kind="report", title="Offshore renminbi clearing in Macao", tags=("rmb",))
    )
    before.close()
    own_server.kill()
    window = MainWindow(settings=settings)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    opener = CatalogOpener(window, window.runner, desk, url)
    try:
        opener.open()
        qtbot.waitUntil(lambda: window.catalogs.offline is not None, timeout=60000)
        page = window.catalogs.offline
        line = window.catalogs.server_line
        assert line.isVisible() and "cannot be reached" in line.text() and "\n" not in line.text()
        assert "cannot be saved" in line.text()
        assert window.windowTitle().endswith("(server unreachable)")
        assert not window.new_action.isEnabled() and not window.undo_action.isEnabled()  # no writes
        assert window.own_action.isEnabled()  # one's own catalog is a click away
        qtbot.keyClicks(page.search_box, "renminbi")
        qtbot.waitUntil(lambda: page.titles() == ["Offshore renminbi clearing in Macao"], timeout=20000)
        assert page.results.item(0, 3).text() == "rmb" and page.results.item(0, 1).text()
        assert "found in this desktop's copy" in page.summary.text()
        window.grab().save("/tmp/team-offline-window.png")

        own_server.restart()  # it reconnects by itself
        qtbot.waitUntil(lambda: window.ready and window.catalogs.offline is None, timeout=90000)
        idle(qtbot, window)
        assert not window.windowTitle().endswith("(server unreachable)") and "team catalog" in window.windowTitle()
        qtbot.waitUntil(lambda: not line.isVisible(), timeout=30000)
        assert "Offshore renminbi clearing in Macao" in titles(window.all_tab)
        assert window.new_action.isEnabled()
        window.service.documents.create_document(NewDocument(kind="report", title="Written once it was back"))
        names = [d.title for d in window.service.documents.list_documents()]
        assert names.count("Written once it was back") == 1 and names.count("Offshore renminbi clearing in Macao") == 1
    finally:
        idle(qtbot, window)
        window.close()
        if window.catalog is not None:
            window.catalog.close()


def test_undo_over_a_colleagues_edit_shows_both_versions(qtbot, tmp_path, settings, postgres_url):
    mine = open_catalog(tmp_path / "mine", database_url=postgres_url, seed=False)
    colleague = open_catalog(tmp_path / "colleague", database_url=postgres_url, seed=False)
    colleague.service.history.author = "bob@desk-b"
    doc = mine.service.documents.create_document(NewDocument(kind="report", title="Hengqin pilot zone"))
    mine.service.documents.update_document(doc.id, title="Hengqin cooperation zone")  # this desktop's edit
    window = MainWindow(mine, settings=settings)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    try:
        colleague.service.documents.update_document(doc.id, title="Guangdong-Macao cooperation zone")
        qtbot.waitUntil(window.undo_action.isEnabled, timeout=10000)
        window.undo_action.trigger()
        box = dialog(qtbot, QMessageBox, "conflictDialog")
        assert "changed by someone else meanwhile" in box.text()
        info = box.informativeText()
        assert "Hengqin pilot zone" in info and "Guangdong-Macao cooperation zone" in info and "Traceback" not in info
        assert "Nothing was undone" in info
        box.grab().save("/tmp/team-undo-conflict.png")
        box.accept()
        assert mine.service.documents.get_document(doc.id).title == "Guangdong-Macao cooperation zone"
    finally:
        colleague.close()
        idle(qtbot, window)
        window.close()
        mine.close()


def test_ones_own_catalog_from_the_offline_page(qtbot, tmp_path, settings, own_server):
    url = own_server.new_database()
    desk = tmp_path / "desk"
    open_catalog(desk, database_url=url).close()
    own_server.kill()
    window = MainWindow(settings=settings)
    window.resize(1280, 800)
    window.show()
    window.catalogs.data_dir = desk
    opener = CatalogOpener(window, window.runner, desk, url)
    try:
        opener.open()
        qtbot.waitUntil(lambda: window.catalogs.offline is not None, timeout=60000)
        window.own_action.trigger()
        qtbot.waitUntil(lambda: window.ready and window.catalogs.offline is None, timeout=60000)
        idle(qtbot, window)
        assert window.windowTitle().endswith("my own catalog") and window.catalog.database_url is None
        assert not window.catalogs.server_line.isVisible()
        assert window.service.search("hengqin").hits  # one's own catalog, with its seed
    finally:
        own_server.restart()
        idle(qtbot, window)
        window.close()
        if window.catalog is not None:
            window.catalog.close()
