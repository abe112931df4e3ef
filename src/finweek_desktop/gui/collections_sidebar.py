"""The sidebar beside the tabs: collections (nested) and saved searches, with
their counts. Clicking one shows its documents in the All documents table;
documents dragged from any list onto a collection are put in it; the
right-click menu renames, deletes, exports and makes new collections.

It refreshes itself from ``ops.catalog_changed`` (a ChangeSet whose
``collections`` is set, or any document change: a saved search's count may
follow it), and keeps the table that shows a collection up to date."""

from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMenu,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from ..core.catalog.collections import SEPARATOR, CollectionInfo
from ..core.changes import ChangeSet
from .models import DOCUMENT_IDS_MIME, ids_from_mime
from .operations import Operations
from .tasks import TaskRunner
from .theme import icon, muted_color, set_icon

log = logging.getLogger(__name__)

CollectionRole = Qt.ItemDataRole.UserRole + 40  # the row's CollectionInfo (None on a heading)
HEADINGS = ("Collections", "Saved searches")
# Below this window width the sidebar hides by itself (the table's titles
# need the room), unless the user chose to show it (View menu).
NARROW_WINDOW = 1100


class CollectionsModel(QStandardItemModel):
    """Two headings, the collections and saved searches under them, nested
    as they are; column 1 holds the counts. Documents drop on a collection."""

    NAME, COUNT = range(2)
    documents_dropped = Signal(object, list)  # CollectionInfo, document ids

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setColumnCount(2)
        self.infos: list[CollectionInfo] = []

    def set_collections(self, infos: list[CollectionInfo]) -> None:
        self.infos = list(infos)
        self.removeRows(0, self.rowCount())
        headings = []
        for text in HEADINGS:
            heading = QStandardItem(text.upper())
            heading.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = QFont(heading.font())
            font.setBold(True)
            font.setPointSizeF(max(font.pointSizeF() * 0.85, 7.0))
            heading.setFont(font)
            blank = QStandardItem()
            blank.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.appendRow([heading, blank])
            headings.append(heading)
        items: dict[int, QStandardItem] = {}
        for info in infos:  # depth first: a parent comes before its children
            name = QStandardItem(icon("search" if info.saved else "folder"), info.name)
            name.setData(info, CollectionRole)
            name.setToolTip(_tooltip(info))
            count = QStandardItem("–" if info.count is None else f"{info.count:,}")
            count.setData(info, CollectionRole)
            count.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            count.setToolTip("This saved search cannot be run now" if info.count is None else "")
            flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
            if not info.saved:
                flags |= Qt.ItemFlag.ItemIsDropEnabled
            for item in (name, count):
                item.setFlags(flags)
            parent = items.get(info.parent_id) if info.parent_id is not None else None
            if parent is None:
                parent = headings[1 if info.saved else 0]
            parent.appendRow([name, count])
            items[info.id] = name
        for heading, text in zip(headings, ("Drop documents here", "None yet: Save search…"), strict=True):
            if not heading.rowCount():
                hint = QStandardItem(text)
                hint.setToolTip(
                    "No collections yet: drag documents from any list onto this line"
                    if heading is headings[0]
                    else "No saved searches yet: search, then Save search… in the Search tab"
                )
                hint.setFlags(
                    Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsDropEnabled
                    if heading is headings[0]
                    else Qt.ItemFlag.ItemIsEnabled
                )
                hint.setForeground(QBrush(QColor(muted_color())))
                heading.appendRow([hint, QStandardItem()])

    def info(self, index: QModelIndex) -> CollectionInfo | None:
        if not index.isValid():
            return None
        return index.siblingAtColumn(self.NAME).data(CollectionRole)

    def index_of(self, collection_id: int) -> QModelIndex:
        for info_index in self._all_indexes():
            info = info_index.data(CollectionRole)
            if info is not None and info.id == collection_id:
                return info_index
        return QModelIndex()

    def _all_indexes(self, parent: QModelIndex | None = None):
        parent = parent if parent is not None else QModelIndex()
        for row in range(self.rowCount(parent)):
            index = self.index(row, self.NAME, parent)
            yield index
            yield from self._all_indexes(index)

    # -- drops -------------------------------------------------------------------

    def mimeTypes(self) -> list[str]:
        return [DOCUMENT_IDS_MIME]

    def supportedDropActions(self):
        return Qt.DropAction.CopyAction | Qt.DropAction.MoveAction

    def _target(self, data, row: int, parent: QModelIndex) -> tuple[CollectionInfo | None, list[int]]:
        if row != -1:  # between rows, not onto one
            return None, []
        info = self.info(parent)
        ids = ids_from_mime(data)
        if info is None or info.saved or not ids:
            return None, []
        return info, ids

    def canDropMimeData(self, data, action, row, column, parent) -> bool:
        info, _ids = self._target(data, row, parent)
        return info is not None

    def dropMimeData(self, data, action, row, column, parent) -> bool:
        info, ids = self._target(data, row, parent)
        if info is None:
            return False
        self.documents_dropped.emit(info, ids)
        # Copied, never moved: the list they came from keeps its rows.
        return True


def _tooltip(info: CollectionInfo) -> str:
    if not info.saved:
        return f"{info.path}: {info.count or 0} document(s). Drop documents here to add them."
    filters = []
    if info.kinds:
        filters.append("kinds: " + ", ".join(info.kinds))
    if info.tags:
        filters.append("tags: " + ", ".join(info.tags))
    extra = f" ({'; '.join(filters)})" if filters else ""
    return f"Saved search: {info.query}{extra}, sorted by {info.sort}; run again when opened"


class CollectionsTree(QTreeView):
    """Accepts only document drags, on a collection: the view's own checks
    would take any drop its model's mime types allow."""

    def dragEnterEvent(self, event):
        if event.mimeData().hasFormat(DOCUMENT_IDS_MIME):
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
        else:
            event.ignore()

    def dragMoveEvent(self, event):
        super().dragMoveEvent(event)
        if event.isAccepted():
            event.setDropAction(Qt.DropAction.CopyAction)


class CollectionsSidebar(QWidget):
    collection_activated = Signal(object)  # CollectionInfo: show its documents
    # Right-click "Export…": the export feature (File → Export) connects here.
    export_requested = Signal(object)  # CollectionInfo
    # The collections are loaded (the first time and after each change).
    reloaded = Signal()
    shown_changed = Signal(bool)  # the sidebar showed or hid (by itself in a narrow window, or by the user)

    def __init__(self, ops: Operations, runner: TaskRunner, parent=None):
        super().__init__(parent)
        self.setObjectName("collectionsSidebar")
        self.ops = ops
        self.service = ops.service
        self.runner = runner
        self.tab = None  # the browse tab that shows a collection (see follow())
        self.context_menu: QMenu | None = None
        self.name_dialog: QInputDialog | None = None
        self._loading = False
        self._again = False
        self.user_choice: bool | None = None  # shown or hidden by the user: the window's width no longer decides

        self.model = CollectionsModel(self)
        self.model.documents_dropped.connect(self._dropped)
        self.view = CollectionsTree()
        self.view.setObjectName("collectionsTree")
        self.view.setModel(self.model)
        self.view.setHeaderHidden(True)
        self.view.setRootIsDecorated(True)
        self.view.setIndentation(14)
        self.view.setUniformRowHeights(True)
        self.view.setIconSize(QSize(16, 16))
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setAcceptDrops(True)
        self.view.setDropIndicatorShown(True)
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.view.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._menu)
        self.view.clicked.connect(self._activated)
        self.view.activated.connect(self._activated)
        header = self.view.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(CollectionsModel.NAME, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(CollectionsModel.COUNT, QHeaderView.ResizeMode.ResizeToContents)

        title = QLabel("LIBRARY")
        title.setObjectName("sectionLabel")
        self.new_button = QToolButton()
        self.new_button.setObjectName("newCollection")
        set_icon(self.new_button, "document-new")
        self.new_button.setAutoRaise(True)
        self.new_button.setToolTip("New collection")
        self.new_button.clicked.connect(lambda: self.ask_new_collection(None))
        head = QHBoxLayout()
        head.setContentsMargins(4, 0, 0, 0)
        head.addWidget(title, 1)
        head.addWidget(self.new_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 6, 0, 6)
        layout.setSpacing(2)
        layout.addLayout(head)
        layout.addWidget(self.view, 1)
        self.setMinimumWidth(150)

        ops.catalog_changed.connect(self._catalog_changed)
        self.reload()

    def sizeHint(self) -> QSize:
        return QSize(230, 600)

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # light or dark: the icons and hints are drawn anew
            self.reload()

    # -- showing -----------------------------------------------------------------

    def watch_width(self, window) -> None:
        """Hide in a window narrower than NARROW_WINDOW, show again when it widens."""
        window.installEventFilter(self)
        self._fit_width(window.width())

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Resize:
            self._fit_width(event.size().width())
        return False

    def _fit_width(self, width: int) -> None:
        if self.user_choice is None:
            self._set_shown(width >= NARROW_WINDOW)

    def set_shown(self, shown: bool) -> None:
        """The user's choice (View menu): it holds whatever the window's width."""
        self.user_choice = shown
        self._set_shown(shown)

    def _set_shown(self, shown: bool) -> None:
        if shown != (not self.isHidden()):
            self.setVisible(shown)
            self.shown_changed.emit(shown)

    # -- loading -----------------------------------------------------------------

    def reload(self) -> None:
        """Read the collections and their counts (saved searches run) on a worker."""
        if self._loading:
            self._again = True
            return
        self._loading = True
        self.runner.run(self.service.collections.all, self._loaded)

    def _loaded(self, infos, error) -> None:
        self._loading = False
        if error is not None:
            log.warning("could not read the collections: %s", error)
        else:
            selected = self.current()
            collapsed = self._collapsed_ids()
            self.model.set_collections(infos)
            self.view.expandAll()
            for collection_id in collapsed:
                self.view.setExpanded(self.model.index_of(collection_id), False)
            if selected is not None:
                index = self.model.index_of(selected.id)
                if index.isValid():
                    self.view.selectionModel().setCurrentIndex(
                        index,
                        self.view.selectionModel().SelectionFlag.ClearAndSelect
                        | self.view.selectionModel().SelectionFlag.Rows,
                    )
            self.reloaded.emit()
        if self._again:
            self._again = False
            self.reload()

    def _collapsed_ids(self) -> list[int]:
        out = []
        for index in self.model._all_indexes():
            info = index.data(CollectionRole)
            if info is not None and self.model.hasChildren(index) and not self.view.isExpanded(index):
                out.append(info.id)
        return out

    def _catalog_changed(self, changes: ChangeSet) -> None:
        if not (changes.collections or changes.documents):
            return
        self.reload()
        tab = self.tab
        if tab is not None and tab.model.collection_id is not None:
            known = {i.id for i in self.model.infos}
            if changes.collections and known and tab.model.collection_id not in known and not self._loading:
                tab.clear_extra_filter()
            else:
                tab.reload()  # members came or went, or a saved search's hits moved

    def follow(self, tab) -> None:
        """The browse tab that shows a collection's documents: kept up to date."""
        self.tab = tab
        self.reloaded.connect(self._check_tab)

    def _check_tab(self) -> None:
        tab = self.tab
        if tab is None or tab.model.collection_id is None:
            return
        shown = next((i for i in self.model.infos if i.id == tab.model.collection_id), None)
        if shown is None:
            tab.clear_extra_filter()  # deleted (or undone) meanwhile
        else:
            tab.relabel(f"{'Saved search' if shown.saved else 'Collection'}: {shown.path}")  # renamed, perhaps

    # -- what the user does ------------------------------------------------------

    def current(self) -> CollectionInfo | None:
        return self.model.info(self.view.currentIndex())

    def select(self, collection_id: int) -> bool:
        index = self.model.index_of(collection_id)
        if not index.isValid():
            return False
        self.view.setCurrentIndex(index)
        return True

    def _activated(self, index: QModelIndex) -> None:
        info = self.model.info(index)
        if info is not None:
            self.collection_activated.emit(info)

    def _dropped(self, info: CollectionInfo, ids: list[int]) -> None:
        self.ops.collect(ids, info.path)

    def _menu(self, pos) -> None:
        index = self.view.indexAt(pos)
        info = self.model.info(index)
        menu = QMenu(self)
        menu.setObjectName("collectionMenu")
        if info is not None:
            self.view.setCurrentIndex(index)
            menu.addAction("&Open", lambda: self.collection_activated.emit(info))
            menu.addAction("&Rename…", lambda: self.ask_rename(info))
            if not info.saved:
                menu.addAction("New &sub-collection…", lambda: self.ask_new_collection(info))
            menu.addAction("&Export…", lambda: self.export_requested.emit(info))
            menu.addSeparator()
            menu.addAction("&Delete", lambda: self.ops.delete_collection(info.id))
            menu.addSeparator()
        menu.addAction("&New collection…", lambda: self.ask_new_collection(None))
        if self.context_menu is not None:
            self.context_menu.deleteLater()
        self.context_menu = menu
        menu.popup(self.view.viewport().mapToGlobal(pos))

    def _ask(self, title: str, label: str, text: str, accepted) -> None:
        """A name, asked without blocking (the dialog is ``name_dialog``)."""
        if self.name_dialog is not None:
            self.name_dialog.deleteLater()
        dialog = self.name_dialog = QInputDialog(self)
        dialog.setObjectName("collectionNameDialog")
        dialog.setWindowTitle(title)
        dialog.setLabelText(label)
        dialog.setTextValue(text)
        dialog.textValueSelected.connect(lambda value: value.strip() and accepted(value.strip()))
        dialog.open()

    def ask_collect(self, ids: list[int]) -> None:
        """ "Add to collection…" of a document list: a collection's name (the
        current one offered; a new name or "Parent/Child" path creates it)."""
        if not ids:
            return
        current = self.current()
        offer = current.path if current is not None and not current.saved else ""
        what = "the document" if len(ids) == 1 else f"the {len(ids)} selected documents"
        self._ask(
            "Add to collection",
            f"Add {what} to the collection (a new name creates it):",
            offer,
            lambda path: self.ops.collect(ids, path),
        )
        if self.name_dialog is not None:
            self.name_dialog.setComboBoxEditable(True)
            self.name_dialog.setComboBoxItems([i.path for i in self.model.infos if not i.saved])
            self.name_dialog.setTextValue(offer)

    def ask_new_collection(self, parent: CollectionInfo | None) -> None:
        where = f" in “{parent.path}”" if parent is not None else ""
        self._ask(
            "New collection",
            f"Name of the new collection{where}:",
            "",
            lambda name: self.ops.create_collection(name, parent.id if parent is not None else None),
        )

    def ask_rename(self, info: CollectionInfo) -> None:
        what = "saved search" if info.saved else "collection"
        self._ask(
            f"Rename the {what}",
            f"New name for “{info.path}”:",
            info.name,
            lambda name: self.ops.rename_collection(info.id, name),
        )

    def ask_save_search(self, query: str, sort: str, kinds: list[str], tags: list[str]) -> None:
        """The Search tab's "Save search…": a name (a "Parent/Child" path
        nests it), then saved with the query's sort and ticked facets."""
        self._ask(
            "Save search",
            f"Save “{query}” as (“Parent{SEPARATOR}Name” puts it in a collection):",
            query,
            lambda name: self.ops.save_search(name, query, sort, kinds, tags),
        )
