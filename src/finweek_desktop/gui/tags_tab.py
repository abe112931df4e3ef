"""The Tags and Organizations tabs: reference lists that filter the catalog."""

from __future__ import annotations

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..core.catalog import CatalogService
from ..core.changes import ChangeSet
from .models import NameRole, OrganizationTableModel, TagTableModel
from .theme import set_icon


def _table(name: str) -> QTableView:
    table = QTableView()
    table.setObjectName(name)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setAlternatingRowColors(True)
    table.setShowGrid(False)
    table.setSortingEnabled(True)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 10)
    table.horizontalHeader().setHighlightSections(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    table.setTabKeyNavigation(False)  # Tab leaves the table
    return table


def _popup(owner: QWidget, table: QTableView, menu: QMenu, pos) -> None:
    """Show ``menu`` at ``pos`` (viewport coordinates); the last one is
    kept on ``owner.menu`` until the next (tests find it there too)."""
    previous: QMenu | None = getattr(owner, "menu", None)
    if previous is not None:
        previous.deleteLater()
    setattr(owner, "menu", menu)  # noqa: B010 (any owner widget, not one class)
    menu.popup(table.viewport().mapToGlobal(pos))


class _Proxy(QSortFilterProxyModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterKeyColumn(-1)


class TagsTab(QWidget):
    tag_activated = Signal(str)
    rename_requested = Signal(str)
    merge_requested = Signal(list)
    delete_requested = Signal(list)
    color_requested = Signal(str)

    def __init__(self, service: CatalogService, parent=None):
        super().__init__(parent)
        self.setObjectName("tagsTab")
        self.model = TagTableModel(service, self)
        self.proxy = _Proxy(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterKeyColumn(TagTableModel.NAME)
        self.table = _table("tagTable")
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setModel(self.proxy)
        self.table.sortByColumn(TagTableModel.NAME, Qt.SortOrder.AscendingOrder)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(TagTableModel.NAME, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(TagTableModel.COUNT, 110)
        self.table.setColumnWidth(TagTableModel.COLOR, 80)
        self.table.activated.connect(lambda index: self.tag_activated.emit(index.data(NameRole) or self._name(index)))
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.menu: QMenu | None = None

        self.filter_edit = QLineEdit()
        self.filter_edit.setObjectName("tagFilter")
        self.filter_edit.setPlaceholderText("Filter tags…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self.proxy.setFilterFixedString)

        self.show_button = self._button("showTagDocuments", "search", "Show documents", self._show_documents)
        self.rename_button = self._button("renameTag", "edit", "Rename…", lambda: self._emit_one(self.rename_requested))
        self.rename_button.setShortcut(QKeySequence(Qt.Key.Key_F2))
        self.merge_button = self._button(
            "mergeTags", "merge", "Merge…", lambda: self.merge_requested.emit(self.selected_names())
        )
        self.color_button = self._button("tagColor", "colour", "Colour…", lambda: self._emit_one(self.color_requested))
        self.delete_button = self._button(
            "deleteTag", "delete", "Delete", lambda: self.delete_requested.emit(self.selected_names())
        )
        self.summary = QLabel()

        bar = QHBoxLayout()
        bar.addWidget(self.filter_edit, 1)
        for button in (self.show_button, self.rename_button, self.merge_button, self.color_button, self.delete_button):
            bar.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        self._update_buttons()

    def _button(self, name, icon_name, text, slot) -> QPushButton:
        button = QPushButton(text)
        set_icon(button, icon_name)
        button.setObjectName(name)
        button.clicked.connect(slot)
        return button

    def _name(self, index) -> str:
        return self.proxy.index(index.row(), TagTableModel.NAME).data(NameRole)

    def reload(self) -> None:
        keep = set(self.selected_names())
        self.model.reload()
        total = sum(t.count for t in (self.model.tag(r) for r in range(self.model.rowCount())))
        self.summary.setText(
            f"{self.model.rowCount()} tags on {total} document taggings. Double-click a tag to see its documents."
        )
        for row in range(self.proxy.rowCount()):
            if self._name(self.proxy.index(row, 0)) in keep:
                self.table.selectRow(row)
        self._update_buttons()

    def catalog_changed(self, changes: ChangeSet) -> None:
        if changes.tags and self.isVisible():  # else it reloads when shown
            self.reload()

    def selected_names(self) -> list[str]:
        return [self._name(index) for index in self.table.selectionModel().selectedRows()]

    def select_tag(self, name: str) -> bool:
        for row in range(self.proxy.rowCount()):
            if self._name(self.proxy.index(row, 0)).casefold() == name.casefold():
                self.table.selectRow(row)
                return True
        return False

    def _emit_one(self, signal) -> None:
        names = self.selected_names()
        if len(names) == 1:
            signal.emit(names[0])

    def _show_documents(self) -> None:
        names = self.selected_names()
        if names:
            self.tag_activated.emit(names[0])

    def _context_menu(self, pos) -> None:
        """The Tags tab's actions on the selected tags (a right-click on a
        tag outside the selection selects it first, as the view does)."""
        if not self.table.indexAt(pos).isValid():
            return
        names = self.selected_names()
        n = len(names)
        menu = QMenu(self)
        menu.setObjectName("tagMenu")
        show = menu.addAction("&Show documents", self._show_documents)
        show.setEnabled(n >= 1)
        menu.addSeparator()
        rename = menu.addAction("&Rename…\tF2", lambda: self._emit_one(self.rename_requested))
        rename.setEnabled(n == 1)
        merge = menu.addAction(f"&Merge {n} tags…" if n >= 2 else "&Merge…", lambda: self.merge_requested.emit(names))
        merge.setEnabled(n >= 2)
        colour = menu.addAction("&Colour…", lambda: self._emit_one(self.color_requested))
        colour.setEnabled(n == 1)
        menu.addSeparator()
        delete = menu.addAction(
            (f"&Delete {n} tags" if n > 1 else "&Delete") + "\tDel", lambda: self.delete_requested.emit(names)
        )
        delete.setEnabled(n >= 1)
        _popup(self, self.table, menu, pos)

    def _update_buttons(self) -> None:
        n = len(self.table.selectionModel().selectedRows()) if self.table.selectionModel() else 0
        self.show_button.setEnabled(n >= 1)
        self.rename_button.setEnabled(n == 1)
        self.color_button.setEnabled(n == 1)
        self.merge_button.setEnabled(n >= 2)
        self.delete_button.setEnabled(n >= 1)


class OrganizationsTab(QWidget):
    organization_activated = Signal(int, str)

    def __init__(self, service: CatalogService, parent=None):
        super().__init__(parent)
        self.setObjectName("organizationsTab")
        self.model = OrganizationTableModel(service, self)
        self.proxy = _Proxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = _table("organizationTable")
        self.table.setModel(self.proxy)
        self.table.sortByColumn(OrganizationTableModel.NAME, Qt.SortOrder.AscendingOrder)
        self.table.setColumnWidth(OrganizationTableModel.NAME, 340)
        self.table.setColumnWidth(OrganizationTableModel.ALIASES, 180)
        self.table.setColumnWidth(OrganizationTableModel.COUNT, 90)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.activated.connect(self._activated)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.menu: QMenu | None = None
        self.filter_edit = QLineEdit()
        self.filter_edit.setObjectName("organizationFilter")
        self.filter_edit.setPlaceholderText("Filter organizations (names, aliases, descriptions)…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self.proxy.setFilterFixedString)
        show = QPushButton("Show documents")
        set_icon(show, "search")
        show.clicked.connect(lambda: self._activated(self.table.currentIndex()))
        bar = QHBoxLayout()
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(show)
        hint = QLabel("Double-click an organization to see its documents.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(hint)

    def reload(self) -> None:
        self.model.reload()

    def catalog_changed(self, changes: ChangeSet) -> None:
        if changes.organizations and self.isVisible():  # else it reloads when shown
            self.reload()

    def _activated(self, index) -> None:
        if not index.isValid():
            return
        org = self.model.organization(self.proxy.mapToSource(index).row())
        self.organization_activated.emit(org.id, org.name)

    def _context_menu(self, pos) -> None:
        index = self.table.indexAt(pos)
        if not index.isValid():
            return
        self.table.setCurrentIndex(index)
        org = self.model.organization(self.proxy.mapToSource(index).row())
        menu = QMenu(self)
        menu.setObjectName("organizationMenu")
        menu.addAction("&Show documents", lambda: self.organization_activated.emit(org.id, org.name))
        menu.addAction("&Copy name", lambda: QGuiApplication.clipboard().setText(org.name))
        _popup(self, self.table, menu, pos)
