"""The Tags tab: merging tags and giving one a colour, as a user does it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QColorDialog, QInputDialog, QLineEdit

from finweek_desktop.core.catalog import DocumentFilter
from finweek_desktop.gui.models import TagTableModel

from gui_helpers import BLUE_PAPER, dialog, idle, search


def row_of(tab, name: str) -> int:
    return next(r for r in range(tab.proxy.rowCount()) if tab.proxy.index(r, TagTableModel.NAME).data() == name)


def click_row(qtbot, tab, name: str, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    rect = tab.table.visualRect(tab.proxy.index(row_of(tab, name), TagTableModel.NAME))
    qtbot.mouseClick(tab.table.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())


def open_tags(qtbot, window):
    window.tabs.setCurrentWidget(window.tags_tab)
    qtbot.waitUntil(lambda: window.tags_tab.proxy.rowCount() > 0)
    return window.tags_tab


def test_merge_two_tags_into_one(qtbot, window, service):
    tab = open_tags(qtbot, window)
    fintech_docs = service.documents.count_documents(DocumentFilter(tag="fintech"))
    currency_docs = service.documents.count_documents(DocumentFilter(tag="digital-currency"))
    assert not tab.merge_button.isEnabled()
    click_row(qtbot, tab, "digital-currency")
    click_row(qtbot, tab, "fintech", Qt.KeyboardModifier.ControlModifier)
    assert tab.merge_button.isEnabled() and tab.selected_names() == ["digital-currency", "fintech"]
    qtbot.mouseClick(tab.merge_button, Qt.MouseButton.LeftButton)
    box = dialog(qtbot, QInputDialog, "mergeDialog")
    combo_edit = box.findChild(QLineEdit)  # the editable combo box's line
    combo_edit.selectAll()
    qtbot.keyClicks(combo_edit, "digital-finance")
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        qtbot.keyClick(combo_edit, Qt.Key.Key_Return)
    names = [t.name for t in service.tags.all()]
    assert "digital-finance" in names and "fintech" not in names and "digital-currency" not in names
    merged = service.documents.count_documents(DocumentFilter(tag="digital-finance"))
    assert max(fintech_docs, currency_docs) <= merged <= fintech_docs + currency_docs
    qtbot.waitUntil(lambda: tab.model.row_of("digital-finance") is not None)
    search(qtbot, window, "tag:digital-finance")
    qtbot.waitUntil(lambda: BLUE_PAPER in window.search_tab.result_titles(), timeout=10000)


def test_give_a_tag_a_colour(qtbot, window, service, monkeypatch):
    asked = []

    def choose(initial, parent, title, *args):  # the native colour dialog, mocked
        asked.append((QColor(initial).name(), title))
        return QColor("#123456")

    monkeypatch.setattr(QColorDialog, "getColor", choose)
    tab = open_tags(qtbot, window)
    click_row(qtbot, tab, "fintech")
    before = next(t.color for t in service.tags.all() if t.name == "fintech")
    with qtbot.waitSignal(window.ops.finished, timeout=10000):
        qtbot.mouseClick(tab.color_button, Qt.MouseButton.LeftButton)
    assert asked == [(before, "Colour of “fintech”")]
    assert next(t.color for t in service.tags.all() if t.name == "fintech") == "#123456"
    qtbot.waitUntil(lambda: tab.proxy.index(row_of(tab, "fintech"), TagTableModel.COLOR).data(Qt.ItemDataRole.ToolTipRole)
                    .startswith("#123456"))
    idle(qtbot, window)


def test_the_colour_column_shows_a_swatch_not_a_code(qtbot, window):
    tab = open_tags(qtbot, window)
    index = tab.proxy.index(row_of(tab, "fintech"), TagTableModel.COLOR)
    assert not index.data(Qt.ItemDataRole.DisplayRole)
    swatch = index.data(Qt.ItemDataRole.DecorationRole)
    assert swatch.width() > swatch.height()  # a bar, not a dot
    image = swatch.toImage()
    assert image.pixelColor(swatch.width() // 2, swatch.height() // 2).name() == "#14b8a6"
    assert index.data(Qt.ItemDataRole.ToolTipRole).startswith("#14b8a6")
    assert tab.merge_button.icon().cacheKey() != tab.color_button.icon().cacheKey()
