"""The window follows the change log: what the CLI beside it (or a
colleague's desktop) writes appears without a restart or a repair."""

from __future__ import annotations

from gui_helpers import idle, search, titles

from finweek_desktop.core.records import NewDocument
from finweek_desktop.core.startup import open_catalog


def test_a_document_the_cli_adds_and_deletes_shows_up_and_goes(qtbot, window, data_dir):
    cli = open_catalog(data_dir)
    try:
        doc = cli.service.create_document(NewDocument(kind="report", title="Added from the command line"))
        assert "Added from the command line" not in titles(window.all_tab)
        window.ops.hear_others()  # what the window's timer does every 2 s
        qtbot.waitUntil(lambda: "Added from the command line" in titles(window.all_tab), timeout=10000)
        search(qtbot, window, "command line")
        qtbot.waitUntil(lambda: titles(window.search_tab) == ["Added from the command line"], timeout=10000)

        window.tabs.setCurrentWidget(window.all_tab)
        cli.service.delete_document(doc.id)
        window.ops.hear_others()
        qtbot.waitUntil(lambda: "Added from the command line" not in titles(window.all_tab), timeout=10000)
        idle(qtbot, window)
    finally:
        cli.close()
