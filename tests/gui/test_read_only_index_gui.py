"""A read-only index folder in the window (#17.8): a write made meanwhile
is saved, and the status bar says in one line that it is not searchable
yet, naming the folder and what to do; the line goes once it is writable.

Root writes through ``chmod a-w``: the folder is made read-only by a
read-only bind mount over it. Skipped where nothing can be mounted."""

from __future__ import annotations

import subprocess

import pytest
from gui_helpers import idle

from finweek_desktop.core.records import NewDocument


def _mount_read_only(index) -> bool:
    if subprocess.run(["mount", "--bind", str(index), str(index)], capture_output=True).returncode != 0:
        return False
    if subprocess.run(["mount", "-o", "remount,bind,ro", str(index)], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", str(index)], check=False)
        return False
    return True


def test_status_bar_names_a_read_only_index_folder(qtbot, window, catalog):
    index = catalog.paths.index
    status = window.index_status
    assert not status.isVisible()
    if not _mount_read_only(index):
        pytest.skip("cannot bind-mount here (needs root)")
    try:
        window.ops.create_document(NewDocument(kind="report", title="Saved beside a read-only index"))
        idle(qtbot, window)
        qtbot.waitUntil(status.isVisible, timeout=5000)
        assert "\n" not in status.text()
        assert status.text().startswith("Saved, not searchable yet: the search index folder")
        assert status.text().endswith("is read-only; make it writable again")
        assert str(index) in status.toolTip() and f"chmod -R u+w '{index}'" in status.toolTip()
        titles = [d.title for d in catalog.service.documents.list_documents()]
        assert "Saved beside a read-only index" in titles  # the write is saved
        window.grab().save("/tmp/hostile-read-only-status.png")
    finally:
        subprocess.run(["umount", "-l", str(index)], check=False)
    status.refresh()  # as its timer does every few seconds
    assert not status.isVisible() or status.text() == "Saved; it will be searchable in a moment"
    window.ops.hear_others()  # the window's follower, every 2 s: the write reaches the index
    qtbot.waitUntil(lambda: not status.isVisible(), timeout=10000)
    assert [h.title for h in catalog.service.search("beside a read-only index").hits] == [
        "Saved beside a read-only index"]
