"""The Search tab keeps the detail pane, the facets and its messages in step
with what is listed."""

from __future__ import annotations

from PySide6.QtCore import Qt

from gui_helpers import BLUE_PAPER, idle, press, search


def click_hit(qtbot, window, title: str) -> None:
    tab = window.search_tab
    qtbot.waitUntil(lambda: title in tab.result_titles(), timeout=10000)
    index = tab.model.index(tab.result_titles().index(title))
    qtbot.mouseClick(tab.results.viewport(), Qt.MouseButton.LeftButton, pos=tab.results.visualRect(index).center())
    qtbot.waitUntil(lambda: window.detail.title.text() == title)


def type_more(qtbot, window, text: str) -> None:
    box = window.search_tab.box
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_End)
    with qtbot.waitSignal(window.search_tab.searched, timeout=10000):
        qtbot.keyClicks(box, text)


def test_the_detail_pane_clears_when_the_shown_hit_is_no_longer_listed(qtbot, window):
    # By words: by meaning, "digital currency zzzqqqx" is still near the blue paper.
    window.search_tab.mode.setCurrentIndex(window.search_tab.mode.findData("words"))
    search(qtbot, window, "digital currency")
    click_hit(qtbot, window, BLUE_PAPER)
    type_more(qtbot, window, " zzzqqqx")  # now nothing matches
    assert window.search_tab.model.rowCount() == 0
    assert window.detail.document_id is None
    assert window.selected_ids() == []
    # Del, Ctrl+T and Ctrl+E have nothing to act on: no dialog opens
    press(qtbot, window, Qt.Key.Key_Delete, Qt.KeyboardModifier.NoModifier)
    press(qtbot, window, Qt.Key.Key_T)
    idle(qtbot, window)
    assert window.findChild(object, "confirmDelete") is None
    assert window.findChild(object, "tagNameDialog") is None


def test_the_detail_pane_clears_when_other_hits_replace_it(qtbot, window):
    search(qtbot, window, "digital currency")
    click_hit(qtbot, window, BLUE_PAPER)
    window.search_tab.box.selectAll()
    with qtbot.waitSignal(window.search_tab.searched, timeout=10000):
        qtbot.keyClicks(window.search_tab.box, "consulting")
    assert BLUE_PAPER not in window.search_tab.result_titles()
    assert window.search_tab.model.rowCount() > 0
    assert window.detail.document_id is None


def test_the_shown_hit_stays_when_it_is_still_listed(qtbot, window):
    search(qtbot, window, "digital")
    click_hit(qtbot, window, BLUE_PAPER)
    type_more(qtbot, window, " currency")
    assert window.detail.title.text() == BLUE_PAPER
    assert window.selected_ids() == [window.detail.document_id]


def test_a_malformed_query_clears_the_facets_and_says_why_once(qtbot, window):
    tab = window.search_tab
    search(qtbot, window, "digital currency")
    qtbot.waitUntil(lambda: tab.kinds.count() > 0 and tab.tags.count() > 0, timeout=10000)
    tab.box.clear()
    with qtbot.waitSignal(tab.searched, timeout=10000):
        qtbot.keyClicks(tab.box, "title:(")
    qtbot.waitUntil(tab.message.isVisible, timeout=5000)  # once the typing pauses (test_search_typing.py)
    assert tab.message.text() == "Cannot search: the query has an unmatched parenthesis."
    assert tab.kinds.count() == 0 and tab.tags.count() == 0
    assert tab.model.rowCount() == 0


def test_an_unknown_field_is_named(qtbot, window):
    tab = window.search_tab
    search(qtbot, window, "nosuchfield:value")
    qtbot.waitUntil(lambda: tab.message.isVisible(), timeout=10000)
    text = tab.message.text()
    assert text.startswith("Cannot search: unknown field 'nosuchfield'")
    assert "nothing to search for" not in text.lower() and text.count("search") == 1


def test_a_ticked_facet_stays_visible_through_a_malformed_query(qtbot, window):
    tab = window.search_tab
    search(qtbot, window, "digital")
    qtbot.waitUntil(lambda: tab.kinds.count() > 1, timeout=10000)
    item = next(tab.kinds.item(i) for i in range(tab.kinds.count()) if tab.kinds.item(i).text().startswith("Blue paper"))
    with qtbot.waitSignal(tab.searched, timeout=10000):
        item.setCheckState(Qt.CheckState.Checked)
    type_more(qtbot, window, " nosuchfield:x")
    qtbot.waitUntil(tab.message.isVisible, timeout=5000)  # once the typing pauses
    assert [tab.kinds.item(i).text() for i in range(tab.kinds.count())] == ["Blue paper  (0)"]


def test_idle_search_shows_help_not_empty_boxes(qtbot, window):
    press(qtbot, window, Qt.Key.Key_F)
    tab = window.search_tab
    assert tab.results_area.currentWidget() is tab.help and tab.help.isVisible()
    assert "tag:fintech" in tab.help.text()
    assert not tab.kinds.isVisible() and not tab.tags.isVisible()
    assert tab.facet_hint.isVisible()
    # the placeholder is read whole
    box = tab.box
    assert box.fontMetrics().horizontalAdvance(box.placeholderText()) < box.width() - 70


def test_the_facet_column_keeps_its_width_when_hits_come(qtbot, window):
    press(qtbot, window, Qt.Key.Key_F)
    tab = window.search_tab
    idle_width = tab.splitter.sizes()[0]
    qtbot.keyClicks(tab.box, "digital currency")
    qtbot.waitUntil(lambda: tab.kinds.isVisible() and tab.tags.isVisible(), timeout=10000)
    assert tab.splitter.sizes()[0] == idle_width
    assert not tab.facet_hint.isVisible()
    # every kind shows without a scroll bar
    assert tab.kinds.verticalScrollBar().maximum() == 0


def test_a_search_from_the_idle_help_says_it_is_searching(qtbot, window):
    # The first search by meaning loads the model: seconds on a busy machine,
    # which must not look like nothing happened.
    press(qtbot, window, Qt.Key.Key_F)
    tab = window.search_tab
    tab.box.setText("insurance")
    with qtbot.waitSignal(tab.searched, timeout=30000):
        qtbot.keyClick(tab.box, Qt.Key.Key_Return)
        assert tab.status.isVisible() and tab.status.text() == "Searching…"
    qtbot.waitUntil(lambda: "found" in tab.status.text())
    assert tab.results_area.currentWidget() is tab.results
