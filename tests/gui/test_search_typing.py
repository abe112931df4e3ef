"""Half-typed queries: no red error while the query is being typed; the
explanation comes once the typing pauses, or at once on Enter."""

from __future__ import annotations

from PySide6.QtCore import Qt

from finweek_desktop.gui.search_tab import EXPLAIN_AFTER_MS

from gui_helpers import BLUE_PAPER, press


def open_search(qtbot, window):
    press(qtbot, window, Qt.Key.Key_F)
    return window.search_tab


def test_a_half_typed_field_is_explained_only_after_a_pause(qtbot, window):
    tab = open_search(qtbot, window)
    qtbot.keyClicks(tab.box, "digital")
    qtbot.waitUntil(lambda: BLUE_PAPER in tab.result_titles(), timeout=10000)
    with qtbot.waitSignal(tab.searched, timeout=10000):
        qtbot.keyClicks(tab.box, " kind:rep")
    assert not tab.message.isVisible()  # no red flash while typing
    assert BLUE_PAPER in tab.result_titles()  # the last hits stay meanwhile
    qtbot.waitUntil(tab.message.isVisible, timeout=EXPLAIN_AFTER_MS + 3000)
    assert "unknown kind 'rep'" in tab.message.text()
    assert tab.model.rowCount() == 0


def test_finishing_the_word_in_time_never_shows_the_error(qtbot, window):
    tab = open_search(qtbot, window)
    with qtbot.waitSignal(tab.searched, timeout=10000):
        qtbot.keyClicks(tab.box, "kind:rep")
    assert not tab.message.isVisible()
    with qtbot.waitSignal(tab.searched, timeout=10000):
        qtbot.keyClicks(tab.box, "ort")
    qtbot.wait(EXPLAIN_AFTER_MS + 400)
    assert not tab.message.isVisible()
    assert tab.result_titles() == ["2020 Hengqin New Area–Macao Cooperation Report"]


def test_enter_explains_at_once(qtbot, window):
    tab = open_search(qtbot, window)
    qtbot.keyClicks(tab.box, "kind:rep")
    with qtbot.waitSignal(tab.searched, timeout=10000):
        qtbot.keyClick(tab.box, Qt.Key.Key_Return)
    assert tab.message.isVisible() and "unknown kind" in tab.message.text()
