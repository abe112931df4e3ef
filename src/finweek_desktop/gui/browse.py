"""A browsing tab: a quick title filter, active filter chips and the
document table; the Session records tab adds a list of the sessions."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..core.catalog import CatalogService, DocumentFilter
from ..core.changes import ChangeSet
from .models import DocumentIdRole, DocumentTableModel, TagNamesRole
from .selection import DocumentSelection
from .theme import set_icon
from .widgets import DocumentTable, TagColumnDelegate

# given up, in this order, when the title would get too narrow
OPTIONAL_COLUMNS = [DocumentTableModel.ORGANIZATIONS, DocumentTableModel.KIND, DocumentTableModel.DATE]
DEFAULT_WIDTHS = {  # the title column takes what is left
    DocumentTableModel.KIND: 116,
    DocumentTableModel.DATE: 62,
    DocumentTableModel.ORGANIZATIONS: 130,
    DocumentTableModel.TAGS: 176,
    DocumentTableModel.ATTACHMENTS: 44,
}


class BrowseTab(QWidget):
    shown_changed = Signal(object)  # the document to show (see selection.py), or None
    files_dropped = Signal(int, list)
    activated = Signal(int)

    def __init__(self, service: CatalogService, base: DocumentFilter, name: str, parent=None, runner=None, titles=None):
        super().__init__(parent)
        self.setObjectName(name)
        self.service = service
        self.base = base
        self._extra = DocumentFilter()  # tag / organization chosen elsewhere
        self._extra_label = ""
        self.dirty = True
        self._first_load = True
        self._restore_after_load: tuple[list[int], int | None] | None = None
        self._select_after_load: int | None = None  # asked for while the id list was on its way

        # With a runner, filter and sort changes build the id list on a worker.
        self.model = DocumentTableModel(service, base, self, runner=runner, titles=titles)
        self.model.loaded.connect(self._loaded)
        self.table = DocumentTable()
        self.table.setObjectName(f"{name}Table")
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(
            DocumentTableModel.TAGS, TagColumnDelegate(lambda n: self.model.tag_colors.get(n), TagNamesRole, self.table)
        )
        for column, width in DEFAULT_WIDTHS.items():
            self.table.setColumnWidth(column, width)
        self.table.setColumnWidth(DocumentTableModel.DATE, self.date_width())
        self.table.horizontalHeader().setSectionResizeMode(DocumentTableModel.TITLE, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setMinimumSectionSize(40)
        self.table.set_column_priorities(DocumentTableModel.TITLE, OPTIONAL_COLUMNS, self.always_hidden())
        column, order = self.model.sort_state
        self.table.horizontalHeader().setSortIndicator(column, order)
        self.table.horizontalHeader().sortIndicatorChanged.connect(self._sort_requested)
        self.selection = DocumentSelection(self.table)
        self.selection.shown_changed.connect(self.shown_changed)
        self.table.files_dropped.connect(self.files_dropped)
        self.table.activated.connect(self._activated)

        self.filter_edit = QLineEdit()
        self.filter_edit.setObjectName("filterEdit")
        self.filter_edit.setPlaceholderText("Filter by title…  (Ctrl+L)")
        self.filter_edit.setClearButtonEnabled(True)
        self._filter_timer = QTimer(self, singleShot=True, interval=200)
        self._filter_timer.timeout.connect(self._apply_filter)
        self.filter_edit.textChanged.connect(lambda _text: self._filter_timer.start())

        self.chip = QLabel()
        self.chip.setObjectName("filterChip")
        self.chip_clear = QToolButton()
        set_icon(self.chip_clear, "close")
        self.chip_clear.setAutoRaise(True)
        self.chip_clear.setToolTip("Show all documents again")
        self.chip_clear.clicked.connect(self.clear_extra_filter)
        self.count = QLabel()
        self.count.setObjectName("countLabel")
        self.model.count_changed.connect(self._show_count)

        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(self.chip)
        bar.addWidget(self.chip_clear)
        bar.addWidget(self.count)
        self._show_chip()

        self.table_area = QWidget()
        column_layout = QVBoxLayout(self.table_area)
        column_layout.setContentsMargins(0, 0, 0, 0)
        column_layout.addLayout(bar)
        column_layout.addWidget(self.table, 1)

        layout = self.own_layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.table_area)

    # -- filtering -------------------------------------------------------------

    def current_filter(self) -> DocumentFilter:
        text = self.filter_edit.text().strip() or None
        return replace(
            self.base,
            text=text,
            tag=self._extra.tag or self.base.tag,
            organization_id=self._extra.organization_id
            if self._extra.organization_id is not None
            else self.base.organization_id,
        )

    def set_extra_filter(self, extra: DocumentFilter, label: str) -> None:
        self.model.collection_id = None  # a tag or organization chosen elsewhere replaces a collection
        self._extra = extra
        self._extra_label = label
        self._show_chip()
        self._apply_filter()

    def clear_extra_filter(self) -> None:
        self.set_extra_filter(DocumentFilter(), "")

    def relabel(self, label: str) -> None:
        """A new text for the filter chip (the collection shown was renamed)."""
        if self._extra_label:
            self._extra_label = label
            self._show_chip()

    def set_collection(self, collection_id: int, label: str) -> None:
        """Show only a collection's documents (a saved search's hits, run
        now), with a chip to show everything again (the sidebar's click)."""
        self._extra = DocumentFilter()
        self._extra_label = label
        self.model.collection_id = collection_id
        self._show_chip()
        self._apply_filter()

    def _show_chip(self) -> None:
        self.chip.setText(self._extra_label)
        self.chip.setVisible(bool(self._extra_label))
        self.chip_clear.setVisible(bool(self._extra_label))

    def _apply_filter(self) -> None:
        """A filter changed: the id list is built off the UI thread (typing
        stays fluid at 50,000 documents); only the latest answer shows."""
        self._remember_selection()
        self.dirty = False
        self.model.request(self.current_filter())

    def _remember_selection(self) -> None:
        if self._restore_after_load is None:  # the selection before the first pending change
            self._restore_after_load = (self.selected_ids(), self.current_id())

    def _loaded(self) -> None:
        restore, self._restore_after_load = self._restore_after_load, None
        if restore is not None:
            self._restore_selection(*restore)
        select, self._select_after_load = self._select_after_load, None
        if select is not None:
            self.select_document(select)

    def _show_count(self, n: int) -> None:
        self.count.setText(f"{n:,} document{'s' if n != 1 else ''}")

    def _sort_requested(self, column: int, order) -> None:
        if column not in DocumentTableModel.SORTS:
            # keep the indicator on the column that really orders the rows
            current, current_order = self.model.sort_state
            header = self.table.horizontalHeader()
            header.blockSignals(True)
            header.setSortIndicator(current, current_order)
            header.blockSignals(False)
            return
        # The view asked the model already (its sorting is enabled); the
        # new order arrives from a worker and the selection follows it.
        self._remember_selection()
        self.model.sort(column, order)

    # -- loading ---------------------------------------------------------------

    def reload(self) -> None:
        """Re-read the id list (after a tag change, on a tab switch): on a
        worker like a filter change, the selection kept where the rows remain."""
        self._apply_filter()

    def always_hidden(self) -> tuple[int, ...]:
        return ()

    def date_width(self) -> int:
        """Room for a full date (2020-11-20) and for the header's "Date"
        with its sort arrow: the column used to cut dates to "2020…"."""
        cell = self.table.fontMetrics()
        text = max(cell.horizontalAdvance(sample) for sample in ("2020-11-20", "0000-00-00", "8888-88-88"))
        header = self.table.horizontalHeader().fontMetrics().horizontalAdvance("Date")
        # the cells' padding (theme: 6 px a side), the style's text margins, and a sort arrow
        return max(text + 2 * 6 + 10, header + 36)

    def restore_header(self, state) -> None:
        """Column widths, order and sort saved in the settings."""
        header = self.table.horizontalHeader()
        header.restoreState(state)
        # widths saved before the date column fitted its dates
        self.table.setColumnWidth(
            DocumentTableModel.DATE, max(self.table.columnWidth(DocumentTableModel.DATE), self.date_width())
        )
        column, order = self.model.sort_state
        header.setSortIndicator(column, order)
        self.table.set_column_priorities(DocumentTableModel.TITLE, OPTIONAL_COLUMNS, self.always_hidden())

    def refresh_documents(self, ids) -> None:
        self.model.refresh_documents(ids)

    def catalog_changed(self, changes: ChangeSet) -> None:
        """Follow a write (this window's, the CLI's, a colleague's). Documents
        that came, went or changed (a new kind, date or tag moves a row) mean
        a new id list, built now if the tab shows, else when it is shown; a
        change to files alone re-reads those rows in place."""
        self.model.titles.forget(changes.documents)  # a title may have changed
        if changes.documents or changes.tags or changes.organizations:
            self.dirty = True
            if self.isVisible():
                self.reload()
        elif changes.attachments:
            self.refresh_documents(changes.attachments)

    def _restore_selection(self, ids: list[int], current: int | None) -> None:
        selection = self.table.selectionModel()
        selection.blockSignals(True)
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for doc_id in ids:
            row = self.model.row_of(doc_id)
            if row is not None:
                selection.select(self.model.index(row, 0), flags)
        row = self.model.row_of(current) if current is not None else None
        if row is None and current is None and self.model.rowCount() and self._first_load:
            self._first_load = False
            selection.blockSignals(False)
            self.select_document(self.model.id_at(0))
            return
        if row is not None:
            selection.setCurrentIndex(self.model.index(row, 0), QItemSelectionModel.SelectionFlag.NoUpdate)
            self.table.scrollTo(self.model.index(row, 0))
        selection.blockSignals(False)
        self.table.viewport().update()
        self.selection.sync()  # the shown row may be gone

    # -- selection -------------------------------------------------------------

    def current_id(self) -> int | None:
        index = self.table.selectionModel().currentIndex()
        return index.data(DocumentIdRole) if index.isValid() else None

    def selected_ids(self) -> list[int]:
        return self.selection.ids()

    def shown_id(self) -> int | None:
        return self.selection.shown_id()

    def select_document(self, doc_id: int) -> bool:
        """Select a document; while a new id list is being built, once it is in."""
        if self.model.loading:
            self._select_after_load = doc_id
            return True
        row = self.model.row_of(doc_id)
        if row is None:
            return False
        index = self.model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )
        self.table.scrollTo(index)
        return True

    def _activated(self, index) -> None:
        # Enter acts on the focused row: select it first, so the pane and
        # the dialog that opens mean the same document.
        if not self.table.selectionModel().isRowSelected(index.row(), index.parent()):
            self.select_document(index.data(DocumentIdRole))
        self.activated.emit(index.data(DocumentIdRole))


class SessionBrowseTab(BrowseTab):
    """Session records, and every document of one session of the event."""

    _sessions_dirty = False  # documents changed: the sessions' counts may have

    def __init__(self, service: CatalogService, base: DocumentFilter, name: str, parent=None, runner=None, titles=None):
        super().__init__(service, base, name, parent, runner, titles)
        self.sessions = QListWidget()
        self.sessions.setObjectName("sessionList")
        self.sessions.currentItemChanged.connect(lambda *_: self.reload())
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("sessionSplitter")
        self.splitter.addWidget(self.sessions)
        self.splitter.addWidget(self.table_area)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([200, 650])
        self.own_layout.addWidget(self.splitter)
        self.sessions.setSpacing(2)
        self.reload_sessions()

    def always_hidden(self) -> tuple[int, ...]:
        # The table is narrower beside the session list: no organizations,
        # and no kind (they are session records, or a session's documents
        # whose kinds the icons show).
        return (DocumentTableModel.ORGANIZATIONS, DocumentTableModel.KIND)

    def catalog_changed(self, changes: ChangeSet) -> None:
        self._sessions_dirty = self._sessions_dirty or bool(changes.documents)  # their counts
        super().catalog_changed(changes)

    def reload(self) -> None:
        if self._sessions_dirty:
            self.reload_sessions()
        super().reload()

    def reload_sessions(self) -> None:
        self._sessions_dirty = False
        current = self.selected_session()
        self.sessions.blockSignals(True)
        self.sessions.clear()
        everything = QListWidgetItem("All session records")
        font = everything.font()
        font.setBold(True)
        everything.setFont(font)
        everything.setData(Qt.ItemDataRole.UserRole, None)
        self.sessions.addItem(everything)
        for info in self.service.reference.sessions():
            item = QListWidgetItem(f"{info.name}  ({info.document_count})")
            item.setData(Qt.ItemDataRole.UserRole, info.id)
            item.setToolTip(info.description + ("\n\nTopics: " + ", ".join(info.topics) if info.topics else ""))
            self.sessions.addItem(item)
            if info.id == current:
                self.sessions.setCurrentItem(item)
        if self.sessions.currentItem() is None:
            self.sessions.setCurrentRow(0)
        self.sessions.blockSignals(False)

    def selected_session(self) -> int | None:
        item = self.sessions.currentItem() if hasattr(self, "sessions") else None
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def current_filter(self) -> DocumentFilter:
        where = super().current_filter()
        session_id = self.selected_session()
        if session_id is not None:  # every document of that session, whatever its kind
            where = replace(where, kind=None, session_id=session_id)
        return where
