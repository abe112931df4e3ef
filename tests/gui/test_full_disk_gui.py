"""A full disk in the window (#17.3): the catalog opens for reading, and a
write is refused in one sentence saying where the disk is full and how much
to free, not as an unexpected error; once space is freed, the catalog opens
again by itself and writes work. On a real, small tmpfs; skipped where
one cannot be mounted."""

from __future__ import annotations

import subprocess

import pytest
from gui_helpers import dialog, idle, select_title
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox

from finweek_desktop.core.startup import open_catalog
from finweek_desktop.gui import full_disk as full_disk_watch
from finweek_desktop.gui.main_window import MainWindow


@pytest.fixture
def full_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    # Room, once freed, for the 64 MB the line asks for.
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=80m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    open_catalog(mount / "data").close()  # made and seeded while there was room
    with open(mount / "filler", "wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
        except OSError:
            pass
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_write_on_a_full_disk_says_where_and_how_much_to_free(qtbot, full_disk, settings, monkeypatch):
    monkeypatch.setattr(full_disk_watch, "RECHECK_MS", 200)
    catalog = open_catalog(full_disk / "data")
    assert catalog.read_only and "is full" in catalog.read_only
    window = MainWindow(catalog, settings=settings)
    try:
        window.resize(1280, 800)
        window.show()
        qtbot.waitExposed(window)
        idle(qtbot, window)
        assert window.all_tab.model.rowCount() == 9  # reading goes on

        select_title(qtbot, window.all_tab, "2020 Digital Currency Blue Paper")
        line = window.detail.tags.line
        qtbot.keyClicks(line, "written-on-a-full-disk")
        with qtbot.waitSignal(window.ops.finished, timeout=10000):
            qtbot.keyClick(line, Qt.Key.Key_Return)
        error = dialog(qtbot, QMessageBox, "errorDialog")
        said = error.informativeText()
        assert said.startswith("Nothing was written: the disk holding"), said
        assert str(full_disk / "data") in said and "free at least 64 MB there" in said
        assert not error.detailedText()  # an expected failure: no traceback behind "Show details"
        error.done(0)

        line_shown = window.findChild(QLabel, "fullDiskLine")
        assert line_shown.isVisible() and "Reading only" in line_shown.text()
        window.grab().save("/tmp/audit17-full-disk.png")

        # Space freed while the window is open: the catalog opens again by itself, writable.
        (full_disk / "filler").unlink()
        qtbot.waitUntil(lambda: window.catalog.read_only is None, timeout=30000)
        idle(qtbot, window)
        assert not window.findChild(QLabel, "fullDiskLine").isVisible()
        doc_id = select_title(qtbot, window.all_tab, "2020 Digital Currency Blue Paper")
        line = window.detail.tags.line
        qtbot.keyClicks(line, "written-once-freed")
        with qtbot.waitSignal(window.ops.finished, timeout=10000):
            qtbot.keyClick(line, Qt.Key.Key_Return)
        idle(qtbot, window)
        assert "written-once-freed" in [t.name for t in window.service.documents.get_document(doc_id).tags]
    finally:
        window.runner.wait()
        idle(qtbot, window)
        window.close()
        catalog.close()
