"""A first launch, searched in Portuguese: the embedded catalog answers."""

from __future__ import annotations

from finweek_desktop.gui.models import SnippetRole

from gui_helpers import search, type_text

NEWS = "3rd Shizimen Finance Week brings new ideas for Hengqin–Macao financial cooperation"


def test_a_first_launch_search_for_associacao_finds_the_news_report(qtbot, window):
    search(qtbot, window, "associacao")
    tab = window.search_tab
    # the word match first; by default documents near in meaning may follow it
    qtbot.waitUntil(lambda: tab.result_titles()[:1] == [NEWS], timeout=10000)
    assert "<b>associação</b>" in tab.model.index(0).data(SnippetRole)


def test_a_portuguese_place_name_finds_the_records_of_that_place(qtbot, window):
    search(qtbot, window, "")
    tab = window.search_tab
    type_text(qtbot, tab.box, '"Grande Baía Guangdong-Hong Kong-Macau"')  # í through the input method
    qtbot.waitUntil(lambda: tab.model.rowCount() > 0, timeout=10000)
    assert "2020 Hengqin New Area–Macao Cooperation Report" in tab.result_titles()
