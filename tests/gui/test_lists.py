"""Reading the lists: whole dates, titles in natural order, a title filter
that folds scripts and accents as search does, hits without a blank band."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QStyle, QStyleOptionViewItem

from finweek_desktop.core.records import NewDocument
from finweek_desktop.gui.models import DocumentTableModel, SnippetRole

from gui_helpers import idle, press, search, titles, type_text


def add(service, title: str, **fields) -> int:
    return service.documents.create_document(NewDocument(kind=fields.pop("kind", "report"), title=title, **fields)).id


def show_all(qtbot, window) -> None:
    window.reload_all()
    press(qtbot, window, Qt.Key.Key_1)
    idle(qtbot, window)


def text_room(table, index) -> int:
    """The width the style gives a cell's text (padding and margins off)."""
    option = QStyleOptionViewItem()
    table.initViewItemOption(option)
    table.itemDelegateForIndex(index).initStyleOption(option, index)
    option.rect = table.visualRect(index)
    return table.style().subElementRect(QStyle.SubElement.SE_ItemViewItemText, option, table).width()


@pytest.mark.parametrize("size", [(1024, 700), (1280, 800), (1920, 1080)])
def test_a_full_date_shows_whole_at_every_width(qtbot, window, service, size):
    doc_id = add(service, "Minutes of the opening", date="2020-11-20")
    window.resize(*size)
    show_all(qtbot, window)
    table = window.all_tab.table
    qtbot.waitUntil(lambda: window.width() == size[0])
    assert not table.isColumnHidden(DocumentTableModel.DATE)
    index = window.all_tab.model.index(window.all_tab.model.row_of(doc_id), DocumentTableModel.DATE)
    assert index.data() == "2020-11-20"
    assert table.fontMetrics().horizontalAdvance("2020-11-20") <= text_room(table, index)


def click_header(qtbot, tab, column: int) -> None:
    header = tab.table.horizontalHeader()
    x = header.sectionViewportPosition(column) + 20
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))


def test_the_title_sort_is_natural(qtbot, window, service):
    for title in ("Paper 10", "Paper 2", "paper 1", "Paper 21"):
        add(service, title)
    show_all(qtbot, window)
    tab = window.all_tab
    click_header(qtbot, tab, DocumentTableModel.TITLE)
    qtbot.waitUntil(lambda: not tab.model.loading and tab.model.sort_state[0] == DocumentTableModel.TITLE)

    def papers():
        return [t for t in titles(tab) if t.lower().startswith("paper")]

    ascending = tab.model.sort_state[1] == Qt.SortOrder.AscendingOrder
    expected = ["paper 1", "Paper 2", "Paper 10", "Paper 21"]
    qtbot.waitUntil(lambda: papers() == (expected if ascending else expected[::-1]))
    click_header(qtbot, tab, DocumentTableModel.TITLE)  # the other way
    qtbot.waitUntil(lambda: papers() == (expected[::-1] if ascending else expected))


def test_the_search_tabs_title_order_is_natural_too(qtbot, window, service):
    for title in ("Circular 10 on clearing", "Circular 9 on clearing"):
        add(service, title)
    search(qtbot, window, "circular")
    tab = window.search_tab
    tab.sort.setCurrentIndex(tab.sort.findData("title"))
    qtbot.waitUntil(lambda: tab.result_titles() == ["Circular 9 on clearing", "Circular 10 on clearing"], timeout=10000)


@pytest.mark.parametrize("typed, title", [
    ("澳门", "澳門金融周筆記"),  # Simplified finds Traditional
    ("金融周笔记", "澳門金融周筆記"),
    ("associacao", "Associação Comercial de Macau: notas"),  # accents
    ("COOPERAÇÃO", "Relatório de cooperacao"),
])
def test_the_title_filter_folds_as_search_does(qtbot, window, service, typed, title):
    add(service, title)
    add(service, "Another note")
    show_all(qtbot, window)
    tab = window.all_tab
    press(qtbot, window, Qt.Key.Key_L)
    type_text(qtbot, tab.filter_edit, typed)
    qtbot.waitUntil(lambda: titles(tab) == [title], timeout=5000)
    assert tab.count.text() == "1 document"


def test_the_title_filter_sees_a_renamed_title(qtbot, window, service):
    doc_id = add(service, "Draft notes")
    show_all(qtbot, window)
    tab = window.all_tab
    qtbot.keyClicks(tab.filter_edit, "draft")
    qtbot.waitUntil(lambda: titles(tab) == ["Draft notes"])
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        window.ops.update_document(doc_id, {"title": "Final notes"})
    tab.filter_edit.clear()
    qtbot.keyClicks(tab.filter_edit, "final")
    qtbot.waitUntil(lambda: titles(tab) == ["Final notes"], timeout=5000)


def test_a_hit_without_a_snippet_is_one_line(qtbot, window, service):
    add(service, "Bare record without summary", tags=("zebrafish",))
    search(qtbot, window, "tag:zebrafish")  # found by its tag: no text to quote
    tab = window.search_tab
    qtbot.waitUntil(lambda: tab.result_titles() == ["Bare record without summary"], timeout=10000)
    index = tab.model.index(0)
    assert not index.data(SnippetRole)
    line = tab.results.fontMetrics().lineSpacing()
    assert tab.results.visualRect(index).height() < 2 * line  # no blank band under the title
