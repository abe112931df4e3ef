"""The window follows the change log: what the CLI beside it (or a
colleague's desktop) writes appears without a restart or a repair."""

from __future__ import annotations

from gui_helpers import idle, search, titles
from PySide6.QtCore import Qt

from finweek_desktop.core.records import NewDocument
from finweek_desktop.core.startup import open_catalog


def test_a_document_the_cli_adds_and_deletes_shows_up_and_goes(qtbot, window, data_dir):
    cli = open_catalog(data_dir)
    try:
        doc = cli.service.documents.create_document(NewDocument(kind="report", title="Added from the command line"))
        assert "Added from the command line" not in titles(window.all_tab)
        window.ops.hear_others()  # what the window's timer does every 2 s
        qtbot.waitUntil(lambda: "Added from the command line" in titles(window.all_tab), timeout=10000)
        search(qtbot, window, "command line")
        qtbot.waitUntil(lambda: titles(window.search_tab) == ["Added from the command line"], timeout=10000)

        window.tabs.setCurrentWidget(window.all_tab)
        cli.service.documents.delete_document(doc.id)
        window.ops.hear_others()
        qtbot.waitUntil(lambda: "Added from the command line" not in titles(window.all_tab), timeout=10000)
        idle(qtbot, window)
    finally:
        cli.close()


def test_ctrl_z_undoes_a_delete_made_from_the_command_line_and_ctrl_shift_z_redoes_it(qtbot, window, data_dir):
    cli = open_catalog(data_dir)
    try:
        title = "Digital Alliance Initiative"
        doc_id = next(d.id for d in cli.service.documents.list_documents() if d.title == title)
        cli.service.documents.delete_document(doc_id)
        window.ops.hear_others()
        qtbot.waitUntil(lambda: title not in titles(window.all_tab), timeout=10000)
        qtbot.waitUntil(window.undo_action.isEnabled, timeout=10000)
        assert "Delete “Digital Alliance Initiative”" in window.undo_action.text()

        window.all_tab.table.setFocus()
        with qtbot.waitSignal(window.ops.finished, timeout=10000):
            qtbot.keyClick(window.all_tab.table, "z", modifier=Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: title in titles(window.all_tab), timeout=10000)
        assert window.redo_action.isEnabled() and not window.undo_action.isEnabled()

        with qtbot.waitSignal(window.ops.finished, timeout=10000):
            qtbot.keyClick(window.all_tab.table, "z",
                           modifier=Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
        qtbot.waitUntil(lambda: title not in titles(window.all_tab), timeout=10000)
        assert [e.title for e in cli.service.trash.entries()] == [title]  # the same trash as the CLI's
        idle(qtbot, window)
    finally:
        cli.close()


def test_catalog_changed_carries_the_changesets_of_own_and_others_writes(qtbot, window, data_dir):
    heard = []
    window.ops.catalog_changed.connect(heard.append)
    with qtbot.waitSignal(window.ops.catalog_changed, timeout=10000):
        window.ops.create_document(NewDocument(kind="report", title="Written in the window"))
    own = heard[-1]
    assert len(own.created) == 1 and own.searchable

    cli = open_catalog(data_dir)
    try:
        doc = cli.service.documents.create_document(NewDocument(kind="report", title="Written by the CLI"))
        with qtbot.waitSignal(window.ops.catalog_changed, timeout=10000):
            window.ops.hear_others()
        assert doc.id in heard[-1].created
    finally:
        cli.close()
    idle(qtbot, window)


def test_every_view_follows_a_tag_renamed_from_the_command_line(qtbot, window, data_dir):
    """The open Tags tab, the detail pane's chips and a tab in the background
    (reloaded when shown) all follow one ChangeSet, with no refresh code of
    their own in the window."""
    service = window.service
    doc_id = next(d.id for d in service.documents.list_documents() if d.title == "Digital Alliance Initiative")
    service.tags.add_tag([doc_id], "fintech-watch")
    window.all_tab.select_document(doc_id)
    qtbot.waitUntil(lambda: window.detail.document_id == doc_id, timeout=10000)
    window.tabs.setCurrentWidget(window.tags_tab)
    qtbot.waitUntil(lambda: "fintech-watch" in window.tags_tab.model.names(), timeout=10000)

    cli = open_catalog(data_dir)
    try:
        cli.service.tags.rename_tag("fintech-watch", "fintech-radar")
    finally:
        cli.close()
    window.ops.hear_others()
    qtbot.waitUntil(lambda: "fintech-radar" in window.tags_tab.model.names(), timeout=10000)
    assert "fintech-watch" not in window.tags_tab.model.names()
    assert window.all_tab.dirty  # hidden: rebuilt when shown, not now
    window.tabs.setCurrentWidget(window.all_tab)
    qtbot.waitUntil(lambda: "fintech-radar" in [t.name for t in window.detail.document.tags], timeout=10000)
    idle(qtbot, window)
